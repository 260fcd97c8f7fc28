package store

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

func TestReminderRecordPacks(t *testing.T) {
	group := bot.Chat{Platform: "telegram", ID: "-1001234567890", Kind: bot.Group, Title: "幸福里3号楼"}
	tests := []ReminderRecord{
		{ID: "a", AtMs: 1764000000000, DueMs: 1764000000000, BucketMs: bucketStart(1764000000000), CreatedMs: 1763000000000,
			Message: bot.Outgoing{Chat: group, Text: "提醒：周三19:30议事会"}},
		{ID: "meeting:3:7:dayBefore", AtMs: 1764000000000, DueMs: 1764000900000, BucketMs: bucketStart(1764000960000),
			Spec: "30 19 * * 3", StaleAfterMs: 3600000, Job: "meeting", Payload: `{"n":7}`, CreatedMs: 1764000000001},
		{ID: "x", AtMs: -5, DueMs: -5, BucketMs: bucketStart(-5), Message: bot.Outgoing{Chat: group, Text: "t",
			Buttons: [][]bot.Button{{{Label: "好", Data: "ok"}}}, Mentions: []bot.User{{Platform: "telegram", ID: "1", Name: "王"}},
			Fallback: &group, Ack: true}},
	}
	for _, r := range tests {
		data, err := r.pack()
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpackRecord(r.ID, string(data))
		if err != nil {
			t.Fatalf("unpack %q: %v", r.ID, err)
		}
		if !reflect.DeepEqual(*got, r) {
			t.Errorf("round trip of %q:\n got %+v\nwant %+v", r.ID, *got, r)
		}
	}
}

func TestReminderRecordReadsLegacyJSON(t *testing.T) {
	old := `{"id":"a","member":"a@1764000900000","at":1764000000000,"message":{"Chat":{"Platform":"console","ID":"g1","Kind":1,"Title":""},"Text":"hi"},"created":1}`
	got, err := unpackRecord("a", old)
	if err != nil {
		t.Fatal(err)
	}
	if got.AtMs != 1764000900000 || got.DueMs != 1764000900000 || got.Message.Text != "hi" || got.Message.Chat.ID != "g1" {
		t.Errorf("legacy record read as %+v", got)
	}
}

func FuzzUnpackRecord(f *testing.F) {
	r := ReminderRecord{ID: "a", AtMs: 1764000000000, DueMs: 1764000000000, Spec: "0 9 * * *",
		Message: bot.Outgoing{Chat: bot.Chat{Platform: "console", ID: "g1"}, Text: "hi"}}
	data, _ := r.pack()
	f.Add(string(data))
	f.Add("R")
	f.Add(`{"id":"a"}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := unpackRecord("a", s)
		if err != nil {
			return
		}
		if got.ID != "a" && s != "" && s[0] == recordVersion {
			t.Errorf("unpacked %q as ID %q", s, got.ID)
		}
	})
}

func TestRemindersOfOneThingShareAShard(t *testing.T) {
	q := NewReminders(nil, "", 0)
	if a, b := q.placeOf("shift:3:hour:202611270600"), q.placeOf("shift:3:end:202611270800"); a.shard != b.shard {
		t.Errorf("a shift's reminders in shards %d and %d", a.shard, b.shard)
	}
	if a, b := q.placeOf("meeting:3:7:dayBefore"), q.placeOf("meeting:3:7:hourBefore"); a.shard != b.shard || a.records == b.records {
		t.Errorf("one meeting's reminders at %+v and %+v; want one shard, records spread", a, b)
	}
	shards := map[int]bool{}
	for i := range 200 {
		shards[q.placeOf("due:"+strconv.Itoa(i)).shard] = true
	}
	if len(shards) != DefaultReminderShards {
		t.Errorf("200 reminders of different things in %d shards, want all %d", len(shards), DefaultReminderShards)
	}
}
