package handlers

import (
	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/scheduler"
)

// registerRoutes is the one place every command is registered, with its
// slash name first and then the Chinese names residents type. An alias
// "X=sub" stands for the command with a subcommand.
func (a *App) registerRoutes() {
	r := a.router
	// Stations and people.
	r.HandleFunc("station", []string{"本站", "建站=create", "关联=link", "站码=code"}, a.officeOr(a.officeStation, a.station))
	r.HandleFunc("bind", []string{"登记"}, a.bind)
	r.HandleFunc("join", []string{"确认入户=confirm", "同意入户=confirm", "拒绝入户=refuse"}, a.join)
	r.HandleFunc("role", []string{"任命", "免职=remove"}, a.role)
	r.HandleFunc("roster", []string{"住户", "名册"}, a.roster)
	r.HandleFunc("help", []string{"start", "帮助", "菜单", "?"}, a.officeOr(a.officeHelp, a.help))
	r.HandleFunc("inbox", []string{"取信", "收信"}, a.inbox)
	r.HandleFunc("lang", []string{"language", "语言"}, a.lang)

	// Problems (报事). In an office group (office.go) the lifecycle
	// commands, 清单, 统计, 本站 and 帮助 are the office's.
	r.HandleFunc("report", []string{"报事", "反映"}, a.report)
	r.HandleFunc("issues", []string{"清单", "事项清单", "治理清单"}, a.officeOr(a.officeList, a.issues))
	r.HandleFunc("issue", []string{"事项", "详情"}, a.officeOr(a.officeIssue, a.issue))
	r.HandleFunc("metoo", []string{"同问", "+1"}, a.metoo)
	r.HandleFunc("accept", []string{"受理"}, a.officeOr(a.officeAccept, a.accept))
	r.HandleFunc("update", []string{"进展"}, a.officeOr(a.officeUpdate, a.update))
	r.HandleFunc("resolve", []string{"办结"}, a.officeOr(a.officeResolve, a.resolve))
	r.HandleFunc("rate", []string{"评价"}, a.rate)
	r.HandleFunc("escalate", []string{"上报"}, a.escalate)
	r.HandleFunc("reopen", []string{"重开"}, a.reopen)
	r.HandleFunc("sendback", []string{"退回"}, a.officeOnly(a.officeReturn))

	// Notices and meetings.
	r.HandleFunc("notice", []string{"通知", "公告", "定时通知=at"}, a.notice)
	r.HandleFunc("meeting", []string{"开会", "会议", "取消会议=cancel"}, a.meeting)
	r.HandleFunc("rsvp", []string{"参加=yes", "不参加=no"}, a.rsvp)

	// Dogs, lending and the patrol log (文明养犬).
	r.HandleFunc("dog", []string{"登记犬只=add", "犬只登记=add", "打疫苗=vaccinated", "已绝育=sterilised",
		"注销犬只=remove", "绝育提醒=nudge"}, a.dog)
	r.HandleFunc("dogs", []string{"犬只", "犬只名单", "疫苗到期=due"}, a.dogs)
	r.HandleFunc("lend", []string{"借", "借用", "领取", "借牵引绳=牵引绳", "借夹便器=夹便器", "借清理袋=清理袋",
		"领清理袋=清理袋"}, a.lend)
	r.HandleFunc("return", []string{"还", "归还", "还牵引绳=牵引绳", "还夹便器=夹便器"}, a.returnItem)
	r.HandleFunc("items", []string{"物品", "库存"}, a.items)
	r.HandleFunc("incident", []string{"劝导", "劝导转报事=report"}, a.incident)
	r.HandleFunc("incidents", []string{"劝导记录"}, a.incidents)

	// Crowdfunding (众筹) and polls (众议).
	r.HandleFunc("fund", []string{"众筹", "发起众筹=new", "结束众筹=close", "众筹列表=list"}, a.fund)
	r.HandleFunc("pledge", []string{"认捐"}, a.pledge)
	r.HandleFunc("paid", []string{"已收", "收款"}, a.paid)
	r.HandleFunc("unpaid", []string{"未缴", "未交", "催缴"}, a.unpaid)
	r.HandleFunc("spend", []string{"支出"}, a.spend)
	r.HandleFunc("ledger", []string{"账目", "账本"}, a.ledger)
	r.HandleFunc("poll", []string{"投票", "发起投票", "投票结果", "投票提醒=remind", "结束投票=close"}, a.poll)
	r.HandleFunc("vote", []string{"投"}, a.vote)

	// Volunteer teams and shifts (众行).
	r.HandleFunc("team", []string{"队伍", "志愿队", "建队=new", "入队=join", "退队=leave", "队员=members", "设队长=lead"}, a.team)
	r.HandleFunc("shift", []string{"排班"}, a.shift)
	r.HandleFunc("shifts", []string{"班表", "值班表"}, a.shifts)
	r.HandleFunc("signup", []string{"报名"}, a.signup)
	r.HandleFunc("cancel", []string{"取消", "取消报名"}, a.cancelSignup)
	r.HandleFunc("checkin", []string{"签到", "打卡"}, a.checkin)
	r.HandleFunc("hours", []string{"时长", "志愿时长"}, a.hours)

	// Figures, and reminders that could not be delivered.
	r.HandleFunc("stats", []string{"统计", "月报"}, a.officeOr(a.officeStats, a.stats))
	r.HandleFunc("undelivered", []string{"未送达", "没送到"}, a.undelivered)

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
