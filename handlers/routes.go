package handlers

import (
	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/scheduler"
)

// registerRoutes is the one place every command is registered, with its
// slash name first and then the Chinese names residents type. An alias
// "X=sub" stands for the command with a subcommand; "X…" is a distinctive
// word that takes text glued to it (报事楼道灯坏了, see bot.Router). Takes
// says what follows a keyword in a group for the line to be a command and
// not chat: text (报事 …), a number (同问12), at most two short words
// (清单 我的), or, by default, nothing or text that is not a question.
func (a *App) registerRoutes() {
	r := a.router
	// Stations and people.
	r.HandleFunc("station", []string{"本站", "建站…=create", "关联=link", "站码=code"}, a.officeOr(a.officeStation, a.station))
	r.HandleFunc("bind", []string{"登记"}, a.bind).Takes(bot.ArgText)
	r.HandleFunc("join", []string{"确认入户…=confirm", "同意入户…=confirm", "拒绝入户…=refuse"}, a.join).Takes(bot.ArgNumber)
	r.HandleFunc("role", []string{"任命", "免职=remove"}, a.role)
	r.HandleFunc("roster", []string{"住户", "名册"}, a.roster).Takes(bot.ArgWord)
	r.HandleFunc("codes", []string{"住户码"}, a.codes)
	r.HandleFunc("help", []string{"start", "帮助", "菜单", "?"}, a.officeOr(a.officeHelp, a.help)).Takes(bot.ArgWord)
	r.HandleFunc("inbox", []string{"取信", "收信"}, a.inbox).Takes(bot.ArgWord)
	r.HandleFunc("lang", []string{"language", "语言"}, a.lang).Takes(bot.ArgWord)
	r.HandleFunc("web", []string{"网页", "网页重置=重置"}, a.web).Takes(bot.ArgWord)

	// Problems (报事). In an office group (office.go) the lifecycle
	// commands, 清单, 统计, 本站 and 帮助 are the office's.
	r.HandleFunc("report", []string{"报事…", "反映"}, a.report).Takes(bot.ArgText)
	r.HandleFunc("issues", []string{"清单", "事项清单", "治理清单"}, a.officeOr(a.officeList, a.issues)).Takes(bot.ArgWord)
	r.HandleFunc("issue", []string{"事项", "详情"}, a.officeOr(a.officeIssue, a.issue)).Takes(bot.ArgNumber)
	r.HandleFunc("metoo", []string{"同问", "+1"}, a.metoo).Takes(bot.ArgNumber)
	r.HandleFunc("accept", []string{"受理"}, a.officeOr(a.officeAccept, a.accept)).Takes(bot.ArgNumber)
	r.HandleFunc("update", []string{"进展"}, a.officeOr(a.officeUpdate, a.update)).Takes(bot.ArgNumber)
	r.HandleFunc("resolve", []string{"办结"}, a.officeOr(a.officeResolve, a.resolve)).Takes(bot.ArgNumber)
	r.HandleFunc("rate", []string{"评价"}, a.rate).Takes(bot.ArgNumber)
	r.HandleFunc("escalate", []string{"上报"}, a.escalate).Takes(bot.ArgNumber)
	r.HandleFunc("reopen", []string{"重开"}, a.reopen).Takes(bot.ArgNumber)
	r.HandleFunc("sendback", []string{"退回"}, a.officeOnly(a.officeReturn)).Takes(bot.ArgNumber)

	// Notices and meetings.
	r.HandleFunc("notice", []string{"通知", "公告", "定时通知…=at"}, a.notice).Takes(bot.ArgText)
	r.HandleFunc("meeting", []string{"开会", "会议", "取消会议…=cancel"}, a.meeting).Takes(bot.ArgText)
	r.HandleFunc("rsvp", []string{"参加=yes", "不参加=no"}, a.rsvp).Takes(bot.ArgNumber)

	// Dogs, lending and the patrol log (文明养犬).
	r.HandleFunc("dog", []string{"登记犬只…=add", "犬只登记…=add", "打疫苗=vaccinated", "已绝育=sterilised",
		"注销犬只…=remove", "绝育提醒=nudge"}, a.dog)
	r.HandleFunc("dogs", []string{"犬只", "犬只名单", "疫苗到期=due"}, a.dogs).Takes(bot.ArgWord)
	r.HandleFunc("lend", []string{"借", "借用", "领取", "借牵引绳=牵引绳", "借夹便器=夹便器", "借清理袋=清理袋",
		"领清理袋=清理袋"}, a.lend)
	r.HandleFunc("return", []string{"还", "归还", "还牵引绳=牵引绳", "还夹便器=夹便器"}, a.returnItem)
	r.HandleFunc("items", []string{"物品", "库存"}, a.items)
	r.HandleFunc("incident", []string{"劝导…", "劝导转报事…=report"}, a.incident).Takes(bot.ArgText)
	r.HandleFunc("incidents", []string{"劝导记录"}, a.incidents).Takes(bot.ArgWord)

	// Crowdfunding (众筹) and polls (众议).
	r.HandleFunc("fund", []string{"众筹", "发起众筹…=new", "结束众筹=close", "众筹列表=list"}, a.fund)
	r.HandleFunc("pledge", []string{"认捐…"}, a.pledge).Takes(bot.ArgNumber)
	r.HandleFunc("paid", []string{"已收", "收款"}, a.paid).Takes(bot.ArgNumber)
	r.HandleFunc("unpaid", []string{"未缴", "未交", "催缴"}, a.unpaid).Takes(bot.ArgWord)
	r.HandleFunc("spend", []string{"支出"}, a.spend).Takes(bot.ArgNumber)
	r.HandleFunc("ledger", []string{"账目", "账本"}, a.ledger).Takes(bot.ArgWord)
	r.HandleFunc("poll", []string{"投票", "发起投票…", "投票结果", "投票提醒=remind", "结束投票=close"}, a.poll)
	r.HandleFunc("vote", []string{"投"}, a.vote)

	// Volunteer teams and shifts (众行).
	r.HandleFunc("team", []string{"队伍", "志愿队", "建队=new", "入队=join", "退队=leave", "队员=members", "设队长=lead"}, a.team)
	r.HandleFunc("shift", []string{"排班"}, a.shift)
	r.HandleFunc("shifts", []string{"班表", "值班表"}, a.shifts).Takes(bot.ArgWord)
	r.HandleFunc("signup", []string{"报名"}, a.signup).Takes(bot.ArgNumber)
	r.HandleFunc("cancel", []string{"取消", "取消报名…"}, a.cancelSignup).Takes(bot.ArgNumber)
	r.HandleFunc("checkin", []string{"签到", "打卡"}, a.checkin).Takes(bot.ArgWord)
	r.HandleFunc("hours", []string{"时长", "志愿时长"}, a.hours).Takes(bot.ArgWord)

	// Figures, and reminders that could not be delivered.
	r.HandleFunc("stats", []string{"统计", "月报"}, a.officeOr(a.officeStats, a.stats)).Takes(bot.ArgWord)
	r.HandleFunc("undelivered", []string{"未送达", "没送到"}, a.undelivered).Takes(bot.ArgWord)

	r.NotFound(bot.HandlerFunc(a.notFound))
}

// registerJobs is the one place every scheduler job is registered: the
// reminders whose words are written when they fire. Each runs with the
// App's clock in its context, as messages do.
func (a *App) registerJobs() {
	for name, job := range map[string]scheduler.JobFunc{
		jobNotice:        a.fireNotice,
		jobMonthlyReport: a.fireMonthlyReport,
		jobMeeting:       a.fireMeeting,
		jobOverdue:       a.fireOverdue,
		jobOfficeOverdue: a.fireOfficeOverdue,
		jobDogShot:       a.fireDogShot,
		jobDogNudge:      a.fireDogNudge,
		jobLendChase:     a.fireLendChase,
		jobFundChase:     a.fireFundChase,
		jobPollClose:     a.firePollClose,
		jobShiftEve:      a.fireShiftEve,
		jobShiftHour:     a.fireShiftHour,
		jobShiftEnd:      a.fireShiftEnd,
		jobShiftGaps:     a.fireShiftGaps,
	} {
		a.sched.Handle(name, a.clocked(job))
	}
}
