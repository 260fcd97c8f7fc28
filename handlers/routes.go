package handlers

import "github.com/huzhu-station/huzhu/bot"

// registerRoutes is the one place every command is registered, with its
// slash name first and then the Chinese names residents type. An alias
// "X=sub" stands for the command with a subcommand.
func (a *App) registerRoutes() {
	r := a.router
	// Stations and people.
	r.HandleFunc("station", []string{"本站", "建站=create", "关联=link", "站码=code"}, a.station)
	r.HandleFunc("bind", []string{"登记"}, a.bind)
	r.HandleFunc("role", []string{"任命", "免职=remove"}, a.role)
	r.HandleFunc("roster", []string{"住户", "名册"}, a.roster)
	r.HandleFunc("help", []string{"start", "帮助", "菜单", "?"}, a.help)
	r.HandleFunc("lang", []string{"language", "语言"}, a.lang)

	// Problems (报事).
	r.HandleFunc("report", []string{"报事", "反映"}, a.report)
	r.HandleFunc("issues", []string{"清单", "事项清单", "治理清单"}, a.issues)
	r.HandleFunc("issue", []string{"事项", "详情"}, a.issue)
	r.HandleFunc("metoo", []string{"同问", "+1"}, a.metoo)
	r.HandleFunc("accept", []string{"受理"}, a.accept)
	r.HandleFunc("update", []string{"进展"}, a.update)
	r.HandleFunc("resolve", []string{"办结"}, a.resolve)
	r.HandleFunc("rate", []string{"评价"}, a.rate)
	r.HandleFunc("escalate", []string{"上报"}, a.escalate)
	r.HandleFunc("reopen", []string{"重开"}, a.reopen)

	// Notices and meetings.
	r.HandleFunc("notice", []string{"通知", "公告", "定时通知=at"}, a.notice)
	r.HandleFunc("meeting", []string{"开会", "会议", "取消会议=cancel"}, a.meeting)
	r.HandleFunc("rsvp", []string{"参加=yes", "不参加=no"}, a.rsvp)

	r.NotFound(bot.HandlerFunc(a.notFound))
}

// registerJobs is the one place every scheduler job is registered: the
// reminders whose words are written when they fire.
func (a *App) registerJobs() {
	a.sched.Handle(jobNotice, a.fireNotice)
	a.sched.Handle(jobMeeting, a.fireMeeting)
	a.sched.Handle(jobOverdue, a.fireOverdue)
}
