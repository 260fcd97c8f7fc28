package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Reminders is the storage of package scheduler: the due-queue, the
// reminder records, the leases that keep two instances from delivering or
// changing one reminder at once, the marks of delivered occurrences, the
// failed deliveries and the dead letters. The scheduler decides what is due,
// stale or caught up; Reminders only keeps and finds.
//
// Layout. A reminder belongs to one of Shards shards by a hash of its ID;
// a shard's keys carry the hash tag {rm:N}, so shards spread over the
// masters of a Cluster while one acknowledgement stays in one slot. In a
// shard:
//
//   - time buckets, each a sorted set of reminder IDs scored by when they
//     fall due, holding the IDs due within BucketWidth of its start; and
//     an index of the buckets that exist (a sorted set of their starts);
//   - record hashes, RecordBuckets of them: reminder ID → packed record.
//
// Grouping keeps what a pending reminder costs close to its own bytes: a
// bucket or record hash of fewer than 128 short entries stays in Redis's
// compact listpack encoding, with no per-key or per-entry overhead of its
// own, and no JSON field names are repeated a million times.
//
// A reminder due before now is put in the bucket of now (scored by its own
// time), so no bucket older than the current one ever gains an entry and
// an empty old bucket can be dropped from the index without a race.
//
// It speaks only the Redis subset redka supports: no Lua, no WATCH.
type Reminders struct {
	rdb    redis.UniversalClient
	k      keys
	shards int
}

// DefaultReminderShards is how many shards reminders are spread over unless
// told otherwise.
const DefaultReminderShards = 16

const (
	// BucketWidth is how much fire time one time bucket covers.
	BucketWidth = 10 * time.Minute
	// RecordBuckets is how many record hashes a shard has: at a million
	// pending reminders over 16 shards, about 60 records each.
	RecordBuckets = 1024
	// bucketGrace is how long after its end an empty time bucket is kept
	// in the index: instances whose clocks are behind may still be adding
	// to it as the current bucket.
	bucketGrace = 5 * time.Minute
	// doneTTL is how long a day's marks of delivered occurrences are kept.
	doneTTL = 48 * time.Hour
	// failTTL is how long failed deliveries and reached recipients are kept.
	failTTL = 24 * time.Hour
	// maxBucketsRead bounds the buckets of one shard read in one pass.
	maxBucketsRead = 64
)

// NewReminders returns the reminder storage on rdb with keys under prefix,
// spread over shards shards (DefaultReminderShards when 0 or less). Every
// instance must use the same number; Migrate refuses a different one.
func NewReminders(rdb redis.UniversalClient, prefix string, shards int) *Reminders {
	if shards <= 0 {
		shards = DefaultReminderShards
	}
	return &Reminders{rdb: rdb, k: keys{prefix: prefix}, shards: shards}
}

// ReminderTags returns the hash tags of the reminder shards, for tests that
// place them on one Cluster master.
func ReminderTags(shards int) []string {
	if shards <= 0 {
		shards = DefaultReminderShards
	}
	tags := make([]string, shards)
	for i := range tags {
		tags[i] = "{rm:" + strconv.Itoa(i) + "}"
	}
	return tags
}

// ReminderRecord is a reminder as stored.
type ReminderRecord struct {
	ID string
	// AtMs is the pending occurrence's fire time (Unix ms).
	AtMs int64
	// DueMs is when it is next tried: AtMs, or later after a failed
	// delivery.
	DueMs int64
	// BucketMs is the start of the time bucket the occurrence is queued
	// in: the bucket of DueMs, or of the moment it was queued if that was
	// later. Set when it is queued.
	BucketMs     int64
	Spec         string
	StaleAfterMs int64
	Message      bot.Outgoing
	Job          string
	Payload      string
	CreatedMs    int64
}

// Member names the pending occurrence: "<id>@<fire ms>", as logs, failure
// counts and dead letters know it.
func (r *ReminderRecord) Member() string { return ReminderMember(r.ID, r.AtMs) }

// ReminderMember is the name of reminder id's occurrence at fireMs.
func ReminderMember(id string, fireMs int64) string {
	return id + "@" + strconv.FormatInt(fireMs, 10)
}

// recordVersion is the first byte of a packed record.
const recordVersion = 'R'

// messageExtras are the parts of a message most reminders leave empty,
// packed as JSON only when one is set.
type messageExtras struct {
	Buttons  [][]bot.Button `json:"b,omitempty"`
	Mentions []bot.User     `json:"m,omitempty"`
	Fallback *bot.Chat      `json:"f,omitempty"`
	Ack      bool           `json:"a,omitempty"`
}

// pack encodes r positionally: a version byte, varints for the numbers
// (times as differences from AtMs), and length-prefixed strings. The ID is
// the hash field and is not repeated.
func (r *ReminderRecord) pack() ([]byte, error) {
	m := r.Message
	var extras []byte
	if len(m.Buttons) > 0 || len(m.Mentions) > 0 || m.Fallback != nil || m.Ack {
		var err error
		if extras, err = json.Marshal(messageExtras{m.Buttons, m.Mentions, m.Fallback, m.Ack}); err != nil {
			return nil, fmt.Errorf("encode reminder %q: %w", r.ID, err)
		}
	}
	b := make([]byte, 0, 32+len(r.Spec)+len(r.Job)+len(r.Payload)+len(m.Chat.Platform)+len(m.Chat.ID)+
		len(m.Chat.Title)+len(m.Text)+len(extras))
	b = append(b, recordVersion)
	b = binary.AppendVarint(b, r.AtMs)
	b = binary.AppendVarint(b, r.DueMs-r.AtMs)
	b = binary.AppendVarint(b, r.BucketMs-bucketStart(r.DueMs))
	b = binary.AppendVarint(b, r.CreatedMs-r.AtMs)
	b = binary.AppendVarint(b, r.StaleAfterMs)
	b = binary.AppendVarint(b, int64(m.Chat.Kind))
	for _, s := range []string{r.Spec, r.Job, r.Payload, m.Chat.Platform, m.Chat.ID, m.Chat.Title, m.Text, string(extras)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

var errBadRecord = errors.New("malformed reminder record")

// unpackRecord decodes a record packed by pack, or one an older version kept
// as JSON.
func unpackRecord(id string, data string) (*ReminderRecord, error) {
	if data == "" || data[0] != recordVersion {
		return decodeLegacyRecord(data)
	}
	b := []byte(data[1:])
	r := &ReminderRecord{ID: id}
	nums := make([]int64, 6)
	for i := range nums {
		v, n := binary.Varint(b)
		if n <= 0 {
			return nil, fmt.Errorf("%w %q", errBadRecord, id)
		}
		nums[i], b = v, b[n:]
	}
	r.AtMs, r.DueMs = nums[0], nums[0]+nums[1]
	r.BucketMs = bucketStart(r.DueMs) + nums[2]
	r.CreatedMs, r.StaleAfterMs = nums[0]+nums[3], nums[4]
	r.Message.Chat.Kind = bot.ChatKind(nums[5])
	strs := make([]string, 8)
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, fmt.Errorf("%w %q", errBadRecord, id)
		}
		strs[i], b = string(b[n:n+int(l)]), b[n+int(l):]
	}
	r.Spec, r.Job, r.Payload = strs[0], strs[1], strs[2]
	r.Message.Chat.Platform, r.Message.Chat.ID, r.Message.Chat.Title, r.Message.Text = strs[3], strs[4], strs[5], strs[6]
	if strs[7] != "" {
		var x messageExtras
		if err := json.Unmarshal([]byte(strs[7]), &x); err != nil {
			return nil, fmt.Errorf("%w %q: %w", errBadRecord, id, err)
		}
		r.Message.Buttons, r.Message.Mentions, r.Message.Fallback, r.Message.Ack = x.Buttons, x.Mentions, x.Fallback, x.Ack
	}
	return r, nil
}

// legacyRecord is the JSON record of the layout before shards.
type legacyRecord struct {
	ID           string       `json:"id"`
	Member       string       `json:"member"`
	AtMs         int64        `json:"at"`
	Spec         string       `json:"spec,omitempty"`
	StaleAfterMs int64        `json:"staleAfterMs,omitempty"`
	Message      bot.Outgoing `json:"message"`
	Job          string       `json:"job,omitempty"`
	Payload      string       `json:"payload,omitempty"`
	CreatedMs    int64        `json:"created"`
}

func decodeLegacyRecord(data string) (*ReminderRecord, error) {
	var old legacyRecord
	if err := json.Unmarshal([]byte(data), &old); err != nil {
		return nil, fmt.Errorf("decode reminder record: %w", err)
	}
	r := &ReminderRecord{ID: old.ID, AtMs: old.AtMs, DueMs: old.AtMs, Spec: old.Spec, StaleAfterMs: old.StaleAfterMs,
		Message: old.Message, Job: old.Job, Payload: old.Payload, CreatedMs: old.CreatedMs}
	// The member says when the occurrence is due: a failed delivery put
	// it back for later under the same name.
	if i := strings.LastIndexByte(old.Member, '@'); i > 0 {
		if ms, err := strconv.ParseInt(old.Member[i+1:], 10, 64); err == nil {
			r.AtMs, r.DueMs = ms, ms
		}
	}
	return r, nil
}

// place says where reminder id is kept.
type place struct {
	shard, records int
}

// placeOf returns where reminder id is kept. The shard is chosen by the
// ID's group: its first two ":" parts (its kind and station) when it has at
// least four parts ("meeting:3:7:dayBefore" and "shift:3:hour:202611270600"
// are in groups "meeting:3" and "shift:3"), else the whole ID. The
// reminders of one thing so share a shard, and one MULTI schedules or
// cancels them together; stations and kinds spread over the shards.
func (q *Reminders) placeOf(id string) place {
	group := id
	if strings.Count(id, ":") >= 3 {
		first := strings.IndexByte(id, ':')
		group = id[:first+1+strings.IndexByte(id[first+1:], ':')]
	}
	return place{shard: int(fnv64(group) % uint64(q.shards)), records: int((fnv64(id) >> 32) % RecordBuckets)}
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// bucketStart is the start of the time bucket holding ms.
func bucketStart(ms int64) int64 {
	w := BucketWidth.Milliseconds()
	return ms - ((ms%w)+w)%w
}

// bucketFor is the bucket a reminder due at dueMs goes in when written at
// nowMs: its own, or the current one if it is already due.
func bucketFor(dueMs, nowMs int64) int64 { return bucketStart(max(dueMs, nowMs)) }

// Lease tries to take the lease of each of ids for ttl in one round trip
// and reports which it took.
func (q *Reminders) Lease(ctx context.Context, ids []string, token string, ttl time.Duration) ([]bool, error) {
	cmds := make([]*redis.BoolCmd, len(ids))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.SetNX(ctx, q.k.reminderLease(q.placeOf(id).shard, id), token, ttl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lease reminders: %w", err)
	}
	held := make([]bool, len(ids))
	for i, c := range cmds {
		held[i] = c.Val()
	}
	return held, nil
}

// Release gives back leases on ids. With verify it deletes only those still
// holding token (two commands, without Lua); without, the caller knows they
// cannot have expired.
func (q *Reminders) Release(ctx context.Context, ids []string, token string, verify bool) error {
	if len(ids) == 0 {
		return nil
	}
	ks := make([]string, len(ids))
	for i, id := range ids {
		ks[i] = q.k.reminderLease(q.placeOf(id).shard, id)
	}
	if verify {
		gets := make([]*redis.StringCmd, len(ks))
		if _, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range ks {
				gets[i] = p.Get(ctx, k)
			}
			return nil
		}); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("release reminder leases: %w", err)
		}
		ks = ks[:0]
		for i, id := range ids {
			if gets[i].Val() == token {
				ks = append(ks, q.k.reminderLease(q.placeOf(id).shard, id))
			}
		}
	}
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range ks {
			p.Del(ctx, k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release reminder leases: %w", err)
	}
	return nil
}

// Records reads the records of ids in one round trip; a reminder that does
// not exist is nil.
func (q *Reminders) Records(ctx context.Context, ids []string) ([]*ReminderRecord, error) {
	var result func() ([]*ReminderRecord, error)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		result = q.RecordsIn(ctx, p, ids)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read reminders: %w", err)
	}
	return result()
}

// RecordsIn queues the reads of the records of ids in p, a pipeline that
// reads something else too, and returns what gives them once p has run;
// a reminder that does not exist is nil.
func (q *Reminders) RecordsIn(ctx context.Context, p redis.Pipeliner, ids []string) func() ([]*ReminderRecord, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		pl := q.placeOf(id)
		cmds[i] = p.HGet(ctx, q.k.reminderRecords(pl.shard, pl.records), id)
	}
	return func() ([]*ReminderRecord, error) {
		out := make([]*ReminderRecord, len(ids))
		for i, c := range cmds {
			data, err := c.Result()
			if errors.Is(err, redis.Nil) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read reminder %q: %w", ids[i], err)
			}
			if out[i], err = unpackRecord(ids[i], data); err != nil {
				return nil, err
			}
			out[i].ID = ids[i]
		}
		return out, nil
	}
}

// byShard groups the indexes of items by the shard of their ID.
func (q *Reminders) byShard(n int, id func(int) string) map[int][]int {
	out := map[int][]int{}
	for i := range n {
		s := q.placeOf(id(i)).shard
		out[s] = append(out[s], i)
	}
	return out
}

// eachShard runs fn for every shard in groups at once, and returns their
// errors joined.
func eachShard(groups map[int][]int, fn func(shard int, idx []int) error) error {
	if len(groups) == 1 {
		for s, idx := range groups {
			return fn(s, idx)
		}
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for s, idx := range groups {
		wg.Go(func() {
			if err := fn(s, idx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// enqueue adds the commands that queue rec at rec.DueMs, written at nowMs,
// and keep its record; it sets rec.BucketMs.
func (q *Reminders) enqueue(ctx context.Context, p redis.Pipeliner, rec *ReminderRecord, nowMs int64) error {
	pl := q.placeOf(rec.ID)
	rec.BucketMs = bucketFor(rec.DueMs, nowMs)
	data, err := rec.pack()
	if err != nil {
		return err
	}
	p.ZAdd(ctx, q.k.reminderBucket(pl.shard, rec.BucketMs), redis.Z{Score: float64(rec.DueMs), Member: rec.ID})
	p.ZAdd(ctx, q.k.reminderBuckets(pl.shard), redis.Z{Score: float64(rec.BucketMs), Member: rec.BucketMs})
	p.HSet(ctx, q.k.reminderRecords(pl.shard, pl.records), rec.ID, data)
	return nil
}

// dequeue adds the command that takes rec's pending occurrence off the
// queue.
func (q *Reminders) dequeue(ctx context.Context, p redis.Pipeliner, rec *ReminderRecord) {
	p.ZRem(ctx, q.k.reminderBucket(q.placeOf(rec.ID).shard, rec.BucketMs), rec.ID)
}

// Put writes recs, queues each at its DueMs (setting BucketMs), takes off
// the queue what the old record of the same index (nil for none) had
// pending, and deletes the leases on them: one MULTI per shard.
func (q *Reminders) Put(ctx context.Context, nowMs int64, recs, old []*ReminderRecord) error {
	groups := q.byShard(len(recs), func(i int) string { return recs[i].ID })
	return eachShard(groups, func(shard int, idx []int) error {
		_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range idx {
				if old[i] != nil {
					q.dequeue(ctx, p, old[i])
				}
				if err := q.enqueue(ctx, p, recs[i], nowMs); err != nil {
					return err
				}
				p.Del(ctx, q.k.reminderLease(shard, recs[i].ID))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("schedule reminders: %w", err)
		}
		return nil
	})
}

// PutNew writes and queues recs, reminders the caller knows to be new (no
// record under their IDs, nobody scheduling them but the caller): no lease
// is taken or given up and nothing old is read. While a message is served
// with its writes held, they are written with its served mark (see
// HoldWrites); otherwise in one MULTI per shard.
func (q *Reminders) PutNew(ctx context.Context, nowMs int64, recs []*ReminderRecord) error {
	write := func(idx []int) func(redis.Pipeliner) error {
		return func(p redis.Pipeliner) error {
			for _, i := range idx {
				if err := q.enqueue(ctx, p, recs[i], nowMs); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if h := heldIn(ctx); h != nil {
		all := make([]int, len(recs))
		for i := range all {
			all[i] = i
		}
		cmds, err := h.s.holdWrite(write(all))
		if err != nil {
			return err
		}
		h.hold(heldWrite{cmds: cmds})
		return nil
	}
	groups := q.byShard(len(recs), func(i int) string { return recs[i].ID })
	return eachShard(groups, func(_ int, idx []int) error {
		if _, err := q.rdb.TxPipelined(ctx, write(idx)); err != nil {
			return fmt.Errorf("schedule reminders: %w", err)
		}
		return nil
	})
}

// Remove deletes the reminders whose records are old (nil ones skipped),
// their pending occurrences and their leases: one MULTI per shard.
func (q *Reminders) Remove(ctx context.Context, old []*ReminderRecord) error {
	old = slices.DeleteFunc(slices.Clone(old), func(r *ReminderRecord) bool { return r == nil })
	groups := q.byShard(len(old), func(i int) string { return old[i].ID })
	return eachShard(groups, func(shard int, idx []int) error {
		_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range idx {
				id := old[i].ID
				q.dequeue(ctx, p, old[i])
				p.HDel(ctx, q.k.reminderRecords(shard, q.placeOf(id).records), id)
				p.Del(ctx, q.k.reminderLease(shard, id))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("cancel reminders: %w", err)
		}
		return nil
	})
}

// DueReminder is an occurrence found in the queue.
type DueReminder struct {
	ID     string
	DueMs  int64 // its score
	Bucket int64 // the start of the time bucket it is in
}

// Shard is the shard d belongs to.
func (q *Reminders) Shard(id string) int { return q.placeOf(id).shard }

// Due reads the queue: up to limit occurrences per shard due by nowMs,
// oldest first, after skipping skip[bucket key] of each bucket (those held
// by others on an earlier read). It also returns the earliest due time
// after nowMs and up to untilMs it saw, or 0. Two round trips, plus one
// to drop old empty buckets from the index when there are some.
func (q *Reminders) Due(ctx context.Context, nowMs, untilMs int64, limit int, skip map[int64]int) ([]DueReminder, int64, error) {
	index := make([]*redis.StringSliceCmd, q.shards)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for s := range q.shards {
			index[s] = p.ZRangeByScore(ctx, q.k.reminderBuckets(s), &redis.ZRangeBy{
				Min: "-inf", Max: strconv.FormatInt(untilMs, 10), Count: maxBucketsRead})
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read due reminders: %w", err)
	}
	type read struct {
		shard int
		start int64
		cmd   *redis.ZSliceCmd
	}
	var reads []read
	for s, c := range index {
		for _, m := range c.Val() {
			start, err := strconv.ParseInt(m, 10, 64)
			if err != nil {
				continue
			}
			reads = append(reads, read{shard: s, start: start})
		}
	}
	if len(reads) == 0 {
		return nil, 0, nil
	}
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j := range reads {
			reads[j].cmd = p.ZRangeByScoreWithScores(ctx, q.k.reminderBucket(reads[j].shard, reads[j].start), &redis.ZRangeBy{
				Min: "-inf", Max: strconv.FormatInt(untilMs, 10), Offset: int64(skip[reads[j].start*int64(q.shards)+int64(reads[j].shard)]), Count: int64(limit)})
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read due reminders: %w", err)
	}
	var due []DueReminder
	var next int64
	taken := make([]int, q.shards)
	var empty []read
	for _, r := range reads {
		zs := r.cmd.Val()
		if len(zs) == 0 && skip[r.start*int64(q.shards)+int64(r.shard)] == 0 &&
			r.start+BucketWidth.Milliseconds()+bucketGrace.Milliseconds() < nowMs && r.start+BucketWidth.Milliseconds() <= untilMs {
			empty = append(empty, r)
		}
		for _, z := range zs {
			ms := int64(z.Score)
			if ms > nowMs {
				if next == 0 || ms < next {
					next = ms
				}
				continue
			}
			if taken[r.shard] < limit {
				taken[r.shard]++
				due = append(due, DueReminder{ID: z.Member.(string), DueMs: ms, Bucket: r.start})
			}
		}
	}
	if len(empty) > 0 {
		_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, r := range empty {
				p.ZRem(ctx, q.k.reminderBuckets(r.shard), r.start)
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("drop empty reminder buckets: %w", err)
		}
	}
	return due, next, nil
}

// SkipKey is the key of skip in Due for d.
func (q *Reminders) SkipKey(d DueReminder) int64 {
	return d.Bucket*int64(q.shards) + int64(q.placeOf(d.ID).shard)
}

// Claimed is what Claim found for one occurrence.
type Claimed struct {
	// Held: the lease was taken. Nothing else is set otherwise.
	Held bool
	// Queued: the occurrence is still in the queue as it was read.
	Queued bool
	// Record is the reminder's record, nil if it has none.
	Record *ReminderRecord
	// DoneMs is the fire time of its occurrence delivered most recently in
	// the last day or two, or 0.
	DoneMs int64
}

// Claim takes the lease of each due occurrence and, in the same round trip
// and after the lease, reads whether it is still queued, its record and
// its latest delivered occurrence.
func (q *Reminders) Claim(ctx context.Context, due []DueReminder, nowMs int64, token string, ttl time.Duration) ([]Claimed, error) {
	type cmds struct {
		lease       *redis.BoolCmd
		score       *redis.FloatCmd
		rec         *redis.StringCmd
		done, done0 *redis.StringCmd
	}
	cs := make([]cmds, len(due))
	day := nowMs / (24 * time.Hour).Milliseconds()
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range due {
			pl := q.placeOf(d.ID)
			cs[i].lease = p.SetNX(ctx, q.k.reminderLease(pl.shard, d.ID), token, ttl)
			cs[i].score = p.ZScore(ctx, q.k.reminderBucket(pl.shard, d.Bucket), d.ID)
			cs[i].rec = p.HGet(ctx, q.k.reminderRecords(pl.shard, pl.records), d.ID)
			cs[i].done = p.HGet(ctx, q.k.reminderDone(pl.shard, day), d.ID)
			cs[i].done0 = p.HGet(ctx, q.k.reminderDone(pl.shard, day-1), d.ID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("claim reminders: %w", err)
	}
	out := make([]Claimed, len(due))
	for i, c := range cs {
		if err := c.lease.Err(); err != nil {
			return nil, fmt.Errorf("claim reminder %q: %w", due[i].ID, err)
		}
		if !c.lease.Val() {
			continue
		}
		cl := Claimed{Held: true}
		if score, err := c.score.Result(); err == nil {
			cl.Queued = int64(score) == due[i].DueMs
		}
		if data, err := c.rec.Result(); err == nil {
			if cl.Record, err = unpackRecord(due[i].ID, data); err != nil {
				return nil, err
			}
			cl.Record.ID = due[i].ID
		}
		for _, d := range []*redis.StringCmd{c.done, c.done0} {
			if v, err := strconv.ParseInt(d.Val(), 10, 64); err == nil && v > cl.DoneMs {
				cl.DoneMs = v
			}
		}
		out[i] = cl
	}
	return out, nil
}

// ReminderAck finishes a claimed occurrence.
type ReminderAck struct {
	Due DueReminder
	// Member is the occurrence's name, whose failure count and reached
	// recipients are dropped.
	Member string
	// FiredMs, when not 0, marks this fire time delivered.
	FiredMs int64
	// Record: Keep leaves the record alone (an orphan occurrence), Delete
	// removes it (a one-off is done), and otherwise Next replaces it and
	// is queued (a recurring reminder's next occurrence).
	Keep, Delete bool
	Next         *ReminderRecord
}

// TxFunc runs fn's commands in one MULTI/EXEC; key is one of the keys they
// write. Store.Acknowledged is one.
type TxFunc func(ctx context.Context, key string, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)

// AckKey is a key every MULTI of Ack for id's shard writes, as Ack hands it
// to tx.
func (q *Reminders) AckKey(id string) string { return q.k.reminderBuckets(q.placeOf(id).shard) }

// Ack finishes claimed occurrences: per shard, one MULTI through tx (nil:
// TxPipelined) takes them off the queue, marks them delivered, drops their
// failure counts, writes or deletes their records, queues the next
// occurrences and releases the leases. The shards' MULTIs run at once.
func (q *Reminders) Ack(ctx context.Context, tx TxFunc, nowMs int64, acks []ReminderAck) error {
	if tx == nil {
		tx = func(ctx context.Context, _ string, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
			return q.rdb.TxPipelined(ctx, fn)
		}
	}
	day := nowMs / (24 * time.Hour).Milliseconds()
	groups := q.byShard(len(acks), func(i int) string { return acks[i].Due.ID })
	return eachShard(groups, func(shard int, idx []int) error {
		done := q.k.reminderDone(shard, day)
		_, err := tx(ctx, q.k.reminderBuckets(shard), func(p redis.Pipeliner) error {
			marked := false
			for _, i := range idx {
				a := acks[i]
				id := a.Due.ID
				pl := q.placeOf(id)
				p.ZRem(ctx, q.k.reminderBucket(shard, a.Due.Bucket), id)
				if a.FiredMs != 0 {
					p.HSet(ctx, done, id, a.FiredMs)
					marked = true
				}
				if a.Member != "" {
					p.Del(ctx, q.k.reminderFailures(shard, a.Member), q.k.reminderSent(shard, a.Member))
				}
				switch {
				case a.Keep:
				case a.Delete || a.Next == nil:
					p.HDel(ctx, q.k.reminderRecords(shard, pl.records), id)
				default:
					if err := q.enqueue(ctx, p, a.Next, nowMs); err != nil {
						return err
					}
				}
				p.Del(ctx, q.k.reminderLease(shard, id))
			}
			if marked {
				p.PExpire(ctx, done, doneTTL)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ack reminders: %w", err)
		}
		return nil
	})
}

// MarkDone marks reminder id's occurrence at firedMs delivered, outside an
// ack: a claim that has not sent it yet skips it.
func (q *Reminders) MarkDone(ctx context.Context, nowMs int64, id string, firedMs int64) error {
	shard := q.placeOf(id).shard
	done := q.k.reminderDone(shard, nowMs/(24*time.Hour).Milliseconds())
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, done, id, firedMs)
		p.PExpire(ctx, done, doneTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark reminder %q done: %w", id, err)
	}
	return nil
}

// LeaseHeld reports, for each id, whether its lease still holds token.
func (q *Reminders) LeaseHeld(ctx context.Context, ids []string, token string) ([]bool, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, q.k.reminderLease(q.placeOf(id).shard, id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("check reminder leases: %w", err)
	}
	out := make([]bool, len(ids))
	for i, c := range cmds {
		out[i] = c.Val() == token
	}
	return out, nil
}

// Requeue puts a claimed occurrence back in the queue for retryMs, keeps
// rec (whose DueMs it sets) and releases the lease, in one MULTI.
func (q *Reminders) Requeue(ctx context.Context, nowMs int64, d DueReminder, rec *ReminderRecord, retryMs int64) error {
	next := *rec
	next.DueMs = retryMs
	shard := q.placeOf(rec.ID).shard
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, q.k.reminderBucket(shard, d.Bucket), rec.ID)
		if err := q.enqueue(ctx, p, &next, nowMs); err != nil {
			return err
		}
		p.Del(ctx, q.k.reminderLease(shard, rec.ID))
		return nil
	})
	if err != nil {
		return fmt.Errorf("requeue reminder %q: %w", rec.ID, err)
	}
	return nil
}

// RecordFailure counts a failed delivery of reminder id's occurrence member
// with its error, adds the recipients the try reached, and returns how many
// times it has failed.
func (q *Reminders) RecordFailure(ctx context.Context, id, member, errText string, reached []string) (int, error) {
	shard := q.placeOf(id).shard
	fail, sent := q.k.reminderFailures(shard, member), q.k.reminderSent(shard, member)
	var n *redis.IntCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.HIncrBy(ctx, fail, "n", 1)
		p.HSet(ctx, fail, "err", errText)
		p.Expire(ctx, fail, failTTL)
		if len(reached) > 0 {
			args := make([]any, len(reached))
			for i, r := range reached {
				args[i] = r
			}
			p.SAdd(ctx, sent, args...)
			p.Expire(ctx, sent, failTTL)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record failed delivery of %q: %w", member, err)
	}
	return int(n.Val()), nil
}

// Failures returns how often the delivery of occurrence member failed and
// the last error.
func (q *Reminders) Failures(ctx context.Context, id, member string) (int, string, error) {
	v, err := q.rdb.HGetAll(ctx, q.k.reminderFailures(q.placeOf(id).shard, member)).Result()
	if err != nil {
		return 0, "", fmt.Errorf("read failed deliveries of %q: %w", member, err)
	}
	n, _ := strconv.Atoi(v["n"])
	return n, v["err"], nil
}

// Reached returns the recipients earlier tries of occurrence member reached.
func (q *Reminders) Reached(ctx context.Context, id, member string) ([]string, error) {
	return q.rdb.SMembers(ctx, q.k.reminderSent(q.placeOf(id).shard, member)).Result()
}

// KeepDead adds a dead letter, keeping the newest max.
func (q *Reminders) KeepDead(ctx context.Context, data []byte, maxKept int) error {
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, q.k.remindersDead(), data)
		p.LTrim(ctx, q.k.remindersDead(), 0, int64(maxKept)-1)
		return nil
	})
	return err
}

// Dead returns the newest dead letters, at most maxRead.
func (q *Reminders) Dead(ctx context.Context, maxRead int) ([]string, error) {
	return q.rdb.LRange(ctx, q.k.remindersDead(), 0, int64(maxRead)-1).Result()
}

// Pending returns the records of the queued reminders whose ID starts with
// prefix. It reads the whole queue.
func (q *Reminders) Pending(ctx context.Context, prefix string) ([]*ReminderRecord, error) {
	index := make([]*redis.StringSliceCmd, q.shards)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for s := range q.shards {
			index[s] = p.ZRangeByScore(ctx, q.k.reminderBuckets(s), everything)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	var buckets []*redis.StringSliceCmd
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for s, c := range index {
			for _, m := range c.Val() {
				start, err := strconv.ParseInt(m, 10, 64)
				if err == nil {
					buckets = append(buckets, p.ZRangeByScore(ctx, q.k.reminderBucket(s, start), everything))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	seen := map[string]bool{}
	var ids []string
	for _, c := range buckets {
		for _, id := range c.Val() {
			if strings.HasPrefix(id, prefix) && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	recs, err := q.Records(ctx, ids)
	if err != nil {
		return nil, err
	}
	recs = slices.DeleteFunc(recs, func(r *ReminderRecord) bool { return r == nil })
	slices.SortFunc(recs, func(a, b *ReminderRecord) int {
		if a.DueMs != b.DueMs {
			return int(a.DueMs - b.DueMs)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return recs, nil
}

// NextDue returns the earliest due time in the queue, and false when
// nothing is queued.
func (q *Reminders) NextDue(ctx context.Context) (int64, bool, error) {
	const look = 8
	var best int64
	found := false
	for offset := int64(0); ; offset += look {
		index := make([]*redis.StringSliceCmd, q.shards)
		_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for s := range q.shards {
				index[s] = p.ZRange(ctx, q.k.reminderBuckets(s), offset, offset+look-1)
			}
			return nil
		})
		if err != nil {
			return 0, false, fmt.Errorf("next due reminder: %w", err)
		}
		var firsts []*redis.ZSliceCmd
		more := false
		_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for s, c := range index {
				more = more || len(c.Val()) == look
				for _, m := range c.Val() {
					if start, err := strconv.ParseInt(m, 10, 64); err == nil {
						firsts = append(firsts, p.ZRangeWithScores(ctx, q.k.reminderBucket(s, start), 0, 0))
					}
				}
			}
			return nil
		})
		if err != nil {
			return 0, false, fmt.Errorf("next due reminder: %w", err)
		}
		for _, c := range firsts {
			if zs := c.Val(); len(zs) > 0 && (!found || int64(zs[0].Score) < best) {
				best, found = int64(zs[0].Score), true
			}
		}
		// Buckets are read in order, so a later page can only hold later
		// times, except that an occurrence due before its bucket sits in
		// the current one: a found time settles it unless pages remain.
		if found || !more {
			return best, found, nil
		}
	}
}

// ErrShardsChanged means reminders were spread over another number of
// shards than this instance was given.
var ErrShardsChanged = errors.New("the number of reminder shards changed")

// Migrate checks the number of shards against what the store records, and
// moves the reminders an older version kept under the single tag {rm} into
// the shards: each under the old lease (so an older instance still running
// is not delivering it) and the new one, skipped when the new layout
// already has it. It returns how many it moved.
func (q *Reminders) Migrate(ctx context.Context, nowMs int64, token string, ttl time.Duration) (int, error) {
	if err := q.rdb.SetNX(ctx, q.k.reminderShards(), q.shards, 0).Err(); err != nil {
		return 0, fmt.Errorf("reminder shards: %w", err)
	}
	if n, err := q.rdb.Get(ctx, q.k.reminderShards()).Int(); err != nil {
		return 0, fmt.Errorf("reminder shards: %w", err)
	} else if n != q.shards {
		return 0, fmt.Errorf("%w: the store has %d, this instance %d", ErrShardsChanged, n, q.shards)
	}
	moved := 0
	for {
		members, err := q.rdb.ZRange(ctx, q.k.legacyReminderDue(), 0, 199).Result()
		if err != nil {
			return moved, fmt.Errorf("read old reminders: %w", err)
		}
		if len(members) == 0 {
			return moved, nil
		}
		n, err := q.migrateBatch(ctx, nowMs, members, token, ttl)
		moved += n
		if err != nil {
			return moved, err
		}
	}
}

func (q *Reminders) migrateBatch(ctx context.Context, nowMs int64, members []string, token string, ttl time.Duration) (int, error) {
	ids := make([]string, 0, len(members))
	for _, m := range members {
		if i := strings.LastIndexByte(m, '@'); i > 0 {
			ids = append(ids, m[:i])
		} else {
			ids = append(ids, m)
		}
	}
	// The old lease, then the old record, in one round trip.
	leases := make([]*redis.BoolCmd, len(ids))
	olds := make([]*redis.StringCmd, len(ids))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			leases[i] = p.SetNX(ctx, q.k.legacyReminderLease(id), token, ttl)
			olds[i] = p.Get(ctx, q.k.legacyReminder(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("move old reminders: %w", err)
	}
	var held []int
	for i := range ids {
		if leases[i].Val() {
			held = append(held, i)
		}
	}
	if len(held) == 0 {
		// An older instance is delivering all of them; wait for it.
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		return 0, nil
	}
	heldIDs := make([]string, len(held))
	for j, i := range held {
		heldIDs[j] = ids[i]
	}
	newHeld, err := q.Lease(ctx, heldIDs, token, ttl)
	if err != nil {
		return 0, err
	}
	current, err := q.Records(ctx, heldIDs)
	if err != nil {
		return 0, err
	}
	var recs []*ReminderRecord
	// done: the old entries settled (moved, left over, or already in the
	// new layout); their old keys are removed. orphan: a member its record
	// does not name, left by a move: only the entry goes.
	var done []int
	orphan := map[int]bool{}
	for j, i := range held {
		if !newHeld[j] {
			continue // the new layout is changing it; try again later
		}
		done = append(done, i)
		if current[j] != nil {
			continue
		}
		data, err := olds[i].Result()
		if err != nil {
			continue // cancelled: only the queue entry was left
		}
		rec, err := decodeLegacyRecord(data)
		if err != nil {
			return 0, err
		}
		rec.ID = ids[i]
		if ReminderMember(rec.ID, rec.AtMs) != members[i] {
			orphan[i] = true
			continue
		}
		recs = append(recs, rec)
	}
	if len(recs) > 0 {
		// Put releases the new leases of what it writes.
		if err := q.Put(ctx, nowMs, recs, make([]*ReminderRecord, len(recs))); err != nil {
			return 0, err
		}
	}
	var release []string
	for j := range heldIDs {
		if newHeld[j] {
			release = append(release, heldIDs[j])
		}
	}
	if err := q.Release(ctx, release, token, false); err != nil {
		return 0, err
	}
	_, err = q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, i := range done {
			p.ZRem(ctx, q.k.legacyReminderDue(), members[i])
			if !orphan[i] {
				p.Del(ctx, q.k.legacyReminder(ids[i]))
			}
		}
		for _, i := range held {
			p.Del(ctx, q.k.legacyReminderLease(ids[i]))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("move old reminders: %w", err)
	}
	if len(done) == 0 {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return len(recs), nil
}

// everything is the whole of a sorted set, for ZRANGEBYSCORE: redka has no
// negative ranks.
var everything = &redis.ZRangeBy{Min: "-inf", Max: "+inf"}

// Queued counts the occurrences queued due by untilMs, in every shard.
func (q *Reminders) Queued(ctx context.Context, untilMs int64) (int64, error) {
	index := make([]*redis.StringSliceCmd, q.shards)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for s := range q.shards {
			index[s] = p.ZRangeByScore(ctx, q.k.reminderBuckets(s), everything)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var counts []*redis.IntCmd
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for s, c := range index {
			for _, m := range c.Val() {
				if start, err := strconv.ParseInt(m, 10, 64); err == nil {
					counts = append(counts, p.ZCount(ctx, q.k.reminderBucket(s, start), "-inf", strconv.FormatInt(untilMs, 10)))
				}
			}
		}
		return nil
	})
	var n int64
	for _, c := range counts {
		n += c.Val()
	}
	return n, err
}

// LeaseKey is the key of reminder id's lease, for tests that play an
// instance holding it.
func (q *Reminders) LeaseKey(id string) string { return q.k.reminderLease(q.placeOf(id).shard, id) }

// QueueBare queues reminder id at dueMs without touching its record, as a
// crash between two writes could leave it, for tests.
func (q *Reminders) QueueBare(ctx context.Context, id string, dueMs, nowMs int64) error {
	pl := q.placeOf(id)
	start := bucketFor(dueMs, nowMs)
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, q.k.reminderBucket(pl.shard, start), redis.Z{Score: float64(dueMs), Member: id})
		p.ZAdd(ctx, q.k.reminderBuckets(pl.shard), redis.Z{Score: float64(start), Member: start})
		return nil
	})
	return err
}

// PutLegacy writes a reminder as the layout before shards kept it, for the
// tests of Migrate.
func (q *Reminders) PutLegacy(ctx context.Context, r *ReminderRecord) error {
	member := ReminderMember(r.ID, r.AtMs)
	data, err := json.Marshal(legacyRecord{ID: r.ID, Member: member, AtMs: r.AtMs, Spec: r.Spec,
		StaleAfterMs: r.StaleAfterMs, Message: r.Message, Job: r.Job, Payload: r.Payload, CreatedMs: r.CreatedMs})
	if err != nil {
		return err
	}
	_, err = q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, q.k.legacyReminderDue(), redis.Z{Score: float64(r.DueMs), Member: member})
		p.Set(ctx, q.k.legacyReminder(r.ID), data, 0)
		return nil
	})
	return err
}
