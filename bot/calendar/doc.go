// Package calendar reads the dates, times and repeating schedules residents
// type in Chinese (明天晚上7点, 12月11号, 下周三, 每周三 19:00, 每月1号) and
// in English, turns a schedule into the cron spec the scheduler runs, and
// finds a spec's next firing. All of it is in Shanghai time. Saying a spec
// in words needs the catalogues and is left to handlers.
//
// Package calendar imports only bot/numerals of huzhu's packages and knows
// nothing of chats, stations or the store.
package calendar
