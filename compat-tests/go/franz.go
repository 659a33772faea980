package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// base timestamp of produced records: fixed, so ListOffsets by time has a known answer.
const baseTimestamp = 1_700_000_000_000

func newKgo(r *reporter, bootstrap string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap)}, opts...)...)
	r.must(err, "kgo.NewClient")
	return cl
}

// newAdmin: kgo answers metadata requests from a cache younger than MetadataMinAge (5 s by
// default); a short age lets checks see a created or deleted topic as soon as the broker does.
func newAdmin(r *reporter, bootstrap string) *kadm.Client {
	return kadm.NewClient(newKgo(r, bootstrap, kgo.MetadataMinAge(100*time.Millisecond)))
}

func createTopic(ctx context.Context, r *reporter, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	resp, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	r.must(err, "create topic "+topic)
}

// pollUntil polls `cl` until `want` records arrived or `wait` passed, and returns them in order.
func pollUntil(ctx context.Context, cl *kgo.Client, want int, wait time.Duration) ([]*kgo.Record, []error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var got []*kgo.Record
	var errs []error
	for len(got) < want && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", t, p, err))
			}
		})
		got = append(got, fetches.Records()...)
	}
	return got, errs
}

func header(rec *kgo.Record, key string) string {
	for _, h := range rec.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// franzProduceConsume produces keyed records with headers and timestamps through kgo's default
// (idempotent) producer with every compression codec, and reads them back.
func franzProduceConsume(ctx context.Context, r *reporter, bootstrap, prefix string) {
	adm := newAdmin(r, bootstrap)
	defer adm.Close()
	codecs := []struct {
		name  string
		codec kgo.CompressionCodec
	}{
		{"none", kgo.NoCompression()},
		{"gzip", kgo.GzipCompression()},
		{"snappy", kgo.SnappyCompression()},
		{"lz4", kgo.Lz4Compression()},
		{"zstd", kgo.ZstdCompression()},
	}
	const perPartition = 20
	for _, c := range codecs {
		topic := prefix + "-" + c.name
		createTopic(ctx, r, adm, topic, 2, nil)
		producer := newKgo(r, bootstrap, kgo.ProducerBatchCompression(c.codec), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		var recs []*kgo.Record
		for i := 0; i < 2*perPartition; i++ {
			recs = append(recs, &kgo.Record{
				Topic:     topic,
				Partition: int32(i % 2),
				Key:       []byte(fmt.Sprintf("k%d", i)),
				// Repetitive values so every codec really shrinks the batch.
				Value:     []byte(fmt.Sprintf("%s-%03d %s", c.name, i, strings.Repeat("samsa ", 40))),
				Headers:   []kgo.RecordHeader{{Key: "i", Value: []byte(fmt.Sprint(i))}},
				Timestamp: time.UnixMilli(baseTimestamp + int64(i)),
			})
		}
		results := producer.ProduceSync(ctx, recs...)
		producer.Close()
		if !r.check(c.name+": produce", results.FirstErr() == nil, "first error: %v", results.FirstErr()) {
			continue
		}
		offsetsOK, idempotent := true, true
		for i, rec := range recs {
			if rec.Offset != int64(i/2) {
				offsetsOK = false
			}
			if rec.ProducerID < 0 {
				idempotent = false
			}
		}
		r.check(c.name+": produced offsets are 0.. per partition", offsetsOK, "offsets of partition 0: %v", offsetsOf(recs, 0))
		r.check(c.name+": idempotent producer got a producer id", idempotent, "producer id %d epoch %d", recs[0].ProducerID, recs[0].ProducerEpoch)

		consumer := newKgo(r, bootstrap, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(500*time.Millisecond))
		got, errs := pollUntil(ctx, consumer, len(recs), 15*time.Second)
		consumer.Close()
		r.check(c.name+": fetch without errors", len(errs) == 0, "%v", errs)
		equal(r, c.name+": consumed count", len(got), len(recs))
		mismatches := []string{}
		byPosition := map[[2]int64]*kgo.Record{}
		for _, rec := range recs {
			byPosition[[2]int64{int64(rec.Partition), rec.Offset}] = rec
		}
		for _, rec := range got {
			want, ok := byPosition[[2]int64{int64(rec.Partition), rec.Offset}]
			switch {
			case !ok:
				mismatches = append(mismatches, fmt.Sprintf("unexpected %d@%d", rec.Partition, rec.Offset))
			case string(rec.Key) != string(want.Key) || string(rec.Value) != string(want.Value) ||
				header(rec, "i") != header(want, "i") || !rec.Timestamp.Equal(want.Timestamp) ||
				rec.ProducerID != want.ProducerID:
				mismatches = append(mismatches, fmt.Sprintf("%d@%d: key %q ts %d header %q pid %d", rec.Partition, rec.Offset, rec.Key, rec.Timestamp.UnixMilli(), header(rec, "i"), rec.ProducerID))
			}
		}
		r.check(c.name+": consumed key, value, header, timestamp and producer id match", len(mismatches) == 0, "%v", mismatches)
	}

	// A plain (non-idempotent) producer with acks=1, then reads from a given offset and from one
	// past the end (OFFSET_OUT_OF_RANGE: kgo falls back to its reset offset, the start).
	topic := prefix + "-acks1"
	createTopic(ctx, r, adm, topic, 1, nil)
	plain := newKgo(r, bootstrap, kgo.DisableIdempotentWrite(), kgo.RequiredAcks(kgo.LeaderAck()))
	var recs []*kgo.Record
	for i := 0; i < 5; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprint(i))})
	}
	results := plain.ProduceSync(ctx, recs...)
	plain.Close()
	r.check("acks=1 producer without idempotence", results.FirstErr() == nil && recs[4].Offset == 4 && recs[0].ProducerID == -1, "err %v last offset %d producer id %d", results.FirstErr(), recs[4].Offset, recs[0].ProducerID)
	for _, from := range []struct {
		name  string
		at    int64
		first int64
	}{{"from offset 3", 3, 3}, {"from past the end resets to the start", 100, 0}} {
		cl := newKgo(r, bootstrap, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(from.at)}}),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(500*time.Millisecond))
		got, _ := pollUntil(ctx, cl, 1, 10*time.Second)
		cl.Close()
		first := int64(-1)
		if len(got) > 0 {
			first = got[0].Offset
		}
		equal(r, "consume "+from.name, first, from.first)
	}
}

func offsetsOf(recs []*kgo.Record, partition int32) []int64 {
	var out []int64
	for _, rec := range recs {
		if rec.Partition == partition {
			out = append(out, rec.Offset)
		}
	}
	return out
}

// groupMember is one kgo group consumer and what it saw.
type groupMember struct {
	cl       *kgo.Client
	mu       sync.Mutex
	assigned map[int32]bool
	values   []string
	errs     []error
}

func (m *groupMember) partitions() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ps []int32
	for p, on := range m.assigned {
		if on {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

func startMember(r *reporter, bootstrap, group, topic string, consumerProtocol bool) *groupMember {
	m := &groupMember{assigned: map[int32]bool{}}
	set := func(on bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range ps[topic] {
				m.assigned[p] = on
			}
		}
	}
	opts := []kgo.Opt{
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.OnPartitionsAssigned(set(true)), kgo.OnPartitionsRevoked(set(false)), kgo.OnPartitionsLost(set(false)),
	}
	if consumerProtocol {
		// KIP-848: the broker assigns partitions (ConsumerGroupHeartbeat v1+).
		opts = append(opts, kgo.ServerSideBalancer())
	}
	m.cl = newKgo(r, bootstrap, opts...)
	return m
}

// poll runs until ctx ends, recording every value; the partitions it owns follow the callbacks.
func (m *groupMember) poll(ctx context.Context) {
	for ctx.Err() == nil {
		fetches := m.cl.PollFetches(ctx)
		m.mu.Lock()
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				m.errs = append(m.errs, fmt.Errorf("%s[%d]: %w", t, p, err))
			}
		})
		fetches.EachRecord(func(rec *kgo.Record) { m.values = append(m.values, string(rec.Value)) })
		m.mu.Unlock()
	}
}

func (m *groupMember) seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.values...)
}

func produceTagged(ctx context.Context, r *reporter, bootstrap, topic, tag string, partitions, perPartition int) {
	producer := newKgo(r, bootstrap, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer producer.Close()
	var recs []*kgo.Record
	for p := 0; p < partitions; p++ {
		for i := 0; i < perPartition; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: []byte(fmt.Sprintf("%s-%d-%d", tag, p, i))})
		}
	}
	r.must(producer.ProduceSync(ctx, recs...).FirstErr(), "produce "+tag)
}

// waitFor polls `cond` every 100 ms until it holds or `wait` passed.
func waitFor(ctx context.Context, wait time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// franzGroup: two members of a group share a 3-partition topic, read everything once, commit,
// leave; a later member resumes from the committed offsets. With consumerProtocol the group runs
// KIP-848's consumer protocol, otherwise the classic JoinGroup/SyncGroup protocol.
func franzGroup(ctx context.Context, r *reporter, bootstrap, prefix string, consumerProtocol bool) {
	const partitions, perPartition = 3, 10
	adm := newAdmin(r, bootstrap)
	defer adm.Close()
	topic, group := prefix+"-topic", prefix+"-group"
	createTopic(ctx, r, adm, topic, partitions, nil)

	pollCtx, stopPolling := context.WithCancel(ctx)
	a := startMember(r, bootstrap, group, topic, consumerProtocol)
	b := startMember(r, bootstrap, group, topic, consumerProtocol)
	var wg sync.WaitGroup
	for _, m := range []*groupMember{a, b} {
		wg.Add(1)
		go func(m *groupMember) { defer wg.Done(); m.poll(pollCtx) }(m)
	}
	balanced := waitFor(ctx, 30*time.Second, func() bool {
		pa, pb := a.partitions(), b.partitions()
		return len(pa) > 0 && len(pb) > 0 && len(pa)+len(pb) == partitions
	})
	if !r.check("both members own partitions", balanced, "member a %v, member b %v", a.partitions(), b.partitions()) {
		stopPolling()
		wg.Wait()
		a.cl.Close()
		b.cl.Close()
		panic(abort{"the group never split the partitions between its two members"})
	}

	if consumerProtocol {
		listed, err := adm.ListGroups(ctx)
		r.must(err, "list groups")
		equal(r, "list groups: group type", listed[group].GroupType, "consumer")
		described, err := adm.DescribeConsumerGroups(ctx, group)
		r.must(err, "describe consumer groups")
		d := described[group]
		r.check("consumer group describe: stable with 2 members", d.Err == nil && d.State == "Stable" && len(d.Members) == 2, "err %v state %q members %d", d.Err, d.State, len(d.Members))
	} else {
		described, err := adm.DescribeGroups(ctx, group)
		r.must(err, "describe groups")
		d := described[group]
		r.check("describe groups: stable consumer group with 2 members", d.Err == nil && d.State == "Stable" && d.ProtocolType == "consumer" && len(d.Members) == 2,
			"err %v state %q protocol type %q protocol %q members %d", d.Err, d.State, d.ProtocolType, d.Protocol, len(d.Members))
		equal(r, "describe groups: assignor", d.Protocol, "cooperative-sticky")
	}

	produceTagged(ctx, r, bootstrap, topic, "first", partitions, perPartition)
	all := partitions * perPartition
	complete := waitFor(ctx, 20*time.Second, func() bool { return len(a.seen())+len(b.seen()) >= all })
	stopPolling()
	wg.Wait()
	union := map[string]int{}
	for _, v := range append(a.seen(), b.seen()...) {
		union[v]++
	}
	duplicates := 0
	for _, n := range union {
		duplicates += n - 1
	}
	r.check("members read every record", complete && len(union) == all, "distinct %d of %d (a %d, b %d)", len(union), all, len(a.seen()), len(b.seen()))
	equal(r, "no record read twice in a stable group", duplicates, 0)
	r.check("both members read records", len(a.seen()) > 0 && len(b.seen()) > 0, "a %d, b %d", len(a.seen()), len(b.seen()))
	r.check("members polled without errors", len(a.errs)+len(b.errs) == 0, "a %v, b %v", a.errs, b.errs)
	for name, m := range map[string]*groupMember{"a": a, "b": b} {
		err := m.cl.CommitUncommittedOffsets(ctx)
		r.check("member "+name+" commits", err == nil, "%v", err)
	}
	a.cl.Close()
	b.cl.Close()

	committed, err := adm.FetchOffsets(ctx, group)
	r.must(err, "fetch offsets")
	var at []int64
	for p := int32(0); p < partitions; p++ {
		o, _ := committed.Lookup(topic, p)
		if o.Err != nil {
			at = append(at, -2)
		} else {
			at = append(at, o.At)
		}
	}
	equal(r, "committed offsets are the end offsets", fmt.Sprint(at), fmt.Sprint([]int64{perPartition, perPartition, perPartition}))

	// Both left: the group is empty, and a new member resumes after the committed offsets.
	emptied := waitFor(ctx, 10*time.Second, func() bool {
		if consumerProtocol {
			d, err := adm.DescribeConsumerGroups(ctx, group)
			return err == nil && d[group].State == "Empty"
		}
		d, err := adm.DescribeGroups(ctx, group)
		return err == nil && d[group].State == "Empty"
	})
	r.check("group is empty after both members left", emptied, "")
	produceTagged(ctx, r, bootstrap, topic, "late", partitions, 2)
	c := startMember(r, bootstrap, group, topic, consumerProtocol)
	cCtx, stopC := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.poll(cCtx) }()
	waitFor(ctx, 30*time.Second, func() bool { return len(c.seen()) >= partitions*2 })
	time.Sleep(300 * time.Millisecond) // anything beyond the late records would show up now
	stopC()
	<-done
	seen := c.seen()
	sort.Strings(seen)
	late := true
	for _, v := range seen {
		late = late && strings.HasPrefix(v, "late-")
	}
	r.check("a new member resumes from the committed offsets", late && len(seen) == partitions*2, "read %v", seen)
	r.check("the new member commits", c.cl.CommitUncommittedOffsets(ctx) == nil, "")
	c.cl.Close()
}

// franzAdmin drives kadm through topic, config, partition, record, offset and group administration.
func franzAdmin(ctx context.Context, r *reporter, bootstrap, prefix string) {
	adm := newAdmin(r, bootstrap)
	defer adm.Close()
	topic, group := prefix+"-topic", prefix+"-group"
	retention := "86400000"

	// Cluster and metadata.
	meta, err := adm.BrokerMetadata(ctx)
	r.must(err, "broker metadata")
	r.check("metadata: cluster id, one broker, a controller", meta.Cluster != "" && len(meta.Brokers) == 1 && meta.Controller >= 0,
		"cluster %q brokers %v controller %d", meta.Cluster, meta.Brokers.NodeIDs(), meta.Controller)
	brokers, err := adm.ListBrokers(ctx)
	r.check("list brokers (DescribeCluster)", err == nil && len(brokers) == 1, "err %v brokers %v", err, brokers.NodeIDs())

	// Topics.
	created, err := adm.CreateTopic(ctx, 2, 1, map[string]*string{"retention.ms": &retention}, topic)
	r.check("create topic", err == nil && created.Err == nil && created.NumPartitions == 2, "err %v %v partitions %d", err, created.Err, created.NumPartitions)
	again, err := adm.CreateTopic(ctx, 2, 1, nil, topic)
	r.check("create an existing topic: TOPIC_ALREADY_EXISTS", errors.Is(either(err, again.Err), kerr.TopicAlreadyExists), "%v", either(err, again.Err))
	badRF, err := adm.CreateTopic(ctx, 1, 3, nil, prefix+"-rf3")
	r.check("replication factor above the broker count: INVALID_REPLICATION_FACTOR", errors.Is(either(err, badRF.Err), kerr.InvalidReplicationFactor), "%v", either(err, badRF.Err))
	// Kafka propagates a new topic to the metadata cache asynchronously: wait for it briefly.
	var topics kadm.TopicDetails
	listedNew := waitFor(ctx, 5*time.Second, func() bool {
		topics, err = adm.ListTopics(ctx)
		return err == nil && topics.Has(topic)
	})
	r.check("list topics includes the topic with 2 partitions", listedNew && len(topics[topic].Partitions) == 2, "err %v names %v", err, topics.Names())
	r.check("list topics leaves out internal topics", !topics.Has("__consumer_offsets"), "names %v", topics.Names())

	// Configs.
	configs, err := adm.DescribeTopicConfigs(ctx, topic)
	r.must(err, "describe topic configs")
	rc, err := configs.On(topic, nil)
	r.must(err, "describe topic configs of "+topic)
	value, source := configValue(rc, "retention.ms")
	r.check("describe configs: retention.ms set at creation", value == retention && source == kmsg.ConfigSourceDynamicTopicConfig, "value %q source %v", value, source)
	value, source = configValue(rc, "cleanup.policy")
	r.check("describe configs: cleanup.policy defaults to delete", value == "delete" && source != kmsg.ConfigSourceDynamicTopicConfig, "value %q source %v", value, source)
	compact, newRetention := "compact,delete", "3600000"
	altered, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "cleanup.policy", Value: &compact},
		{Op: kadm.SetConfig, Name: "retention.ms", Value: &newRetention},
	}, topic)
	r.check("incremental alter configs", err == nil && len(altered) == 1 && altered[0].Err == nil, "err %v %v", err, altered)
	configs, err = adm.DescribeTopicConfigs(ctx, topic)
	r.must(err, "describe topic configs after alter")
	rc, _ = configs.On(topic, nil)
	v1, _ := configValue(rc, "cleanup.policy")
	v2, _ := configValue(rc, "retention.ms")
	equal(r, "describe configs after alter", v1+" "+v2, compact+" "+newRetention)
	deleted, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "cleanup.policy"}}, topic)
	r.check("incremental alter configs: delete a key", err == nil && len(deleted) == 1 && deleted[0].Err == nil, "err %v %v", err, deleted)
	configs, _ = adm.DescribeTopicConfigs(ctx, topic)
	rc, _ = configs.On(topic, nil)
	v1, _ = configValue(rc, "cleanup.policy")
	equal(r, "a deleted key falls back to the default", v1, "delete")
	badValue := "sometimes"
	invalid, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "cleanup.policy", Value: &badValue}}, topic)
	r.check("alter configs with a bad value: INVALID_CONFIG", len(invalid) == 1 && errors.Is(either(err, invalid[0].Err), kerr.InvalidConfig), "err %v %v", err, invalid)
	missing, err := adm.DescribeTopicConfigs(ctx, prefix+"-missing")
	var missingErr error = err
	if err == nil && len(missing) == 1 {
		missingErr = missing[0].Err
	}
	r.check("describe configs of a missing topic: UNKNOWN_TOPIC_OR_PARTITION", errors.Is(missingErr, kerr.UnknownTopicOrPartition), "%v", missingErr)
	// A broker by id (the empty name would describe only the dynamic cluster-wide defaults).
	brokerConfigs, err := adm.DescribeBrokerConfigs(ctx, meta.Brokers[0].NodeID)
	var brokerValue string
	if err == nil && len(brokerConfigs) == 1 {
		brokerValue, _ = configValue(brokerConfigs[0], "num.partitions")
	}
	r.check("describe broker configs: num.partitions", err == nil && brokerValue != "", "err %v value %q", err, brokerValue)

	// Partitions.
	grown, err := adm.CreatePartitions(ctx, 1, topic)
	r.check("create partitions", err == nil && grown[topic].Err == nil, "err %v %v", err, grown[topic].Err)
	shrunk, err := adm.UpdatePartitions(ctx, 1, topic)
	r.check("shrink partitions: INVALID_PARTITIONS", errors.Is(either(err, shrunk[topic].Err), kerr.InvalidPartitions), "%v", either(err, shrunk[topic].Err))
	grew := waitFor(ctx, 5*time.Second, func() bool {
		m, err := adm.Metadata(ctx, topic)
		return err == nil && len(m.Topics[topic].Partitions) == 3
	})
	r.check("metadata shows 3 partitions", grew, "")

	// Records and offsets.
	producer := newKgo(r, bootstrap, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := 0; i < 10; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: []byte(fmt.Sprint(i)), Timestamp: time.UnixMilli(baseTimestamp + int64(i))})
	}
	produced := producer.ProduceSync(ctx, recs...)
	producer.Close()
	r.must(produced.FirstErr(), "produce to partition 0")
	dirs, err := adm.DescribeAllLogDirs(ctx, kadm.TopicsSet{topic: {0: {}, 1: {}, 2: {}}})
	var size0 int64 = -1
	if err == nil {
		for _, d := range dirs {
			for _, dir := range d {
				if p, ok := dir.Topics.Lookup(topic, 0); ok {
					size0 = p.Size
				}
			}
		}
	}
	r.check("describe log dirs: partition 0 has bytes", err == nil && size0 > 0, "err %v size %d", err, size0)
	ends, err := adm.ListEndOffsets(ctx, topic)
	r.must(err, "list end offsets")
	e0, _ := ends.Lookup(topic, 0)
	e2, _ := ends.Lookup(topic, 2)
	equal(r, "list end offsets", fmt.Sprint(e0.Offset, e2.Offset), "10 0")
	byTime, err := adm.ListOffsetsAfterMilli(ctx, baseTimestamp+6, topic)
	r.must(err, "list offsets after a time")
	t0, _ := byTime.Lookup(topic, 0)
	equal(r, "list offsets by timestamp", t0.Offset, 6)
	maxTs, err := adm.ListMaxTimestampOffsets(ctx, topic)
	r.must(err, "list max timestamp offsets")
	m0, _ := maxTs.Lookup(topic, 0)
	equal(r, "list offsets: max timestamp (KIP-734)", fmt.Sprint(m0.Offset, m0.Timestamp), fmt.Sprint(9, baseTimestamp+9))
	var cut kadm.Offsets
	cut.Add(kadm.Offset{Topic: topic, Partition: 0, At: 4, LeaderEpoch: -1})
	dr, err := adm.DeleteRecords(ctx, cut)
	r.must(err, "delete records")
	d0, _ := dr.Lookup(topic, 0)
	r.check("delete records: new low watermark", d0.Err == nil && d0.LowWatermark == 4, "err %v low watermark %d", d0.Err, d0.LowWatermark)
	starts, err := adm.ListStartOffsets(ctx, topic)
	r.must(err, "list start offsets")
	s0, _ := starts.Lookup(topic, 0)
	equal(r, "list start offsets after delete records", s0.Offset, 4)
	var past kadm.Offsets
	past.Add(kadm.Offset{Topic: topic, Partition: 0, At: 11, LeaderEpoch: -1})
	dr, err = adm.DeleteRecords(ctx, past)
	d0, _ = dr.Lookup(topic, 0)
	r.check("delete records past the high watermark: OFFSET_OUT_OF_RANGE", errors.Is(either(err, d0.Err), kerr.OffsetOutOfRange), "%v", either(err, d0.Err))

	// Group offsets and groups.
	var commit kadm.Offsets
	commit.Add(kadm.Offset{Topic: topic, Partition: 0, At: 7, LeaderEpoch: -1, Metadata: "by kadm"})
	commit.Add(kadm.Offset{Topic: topic, Partition: 1, At: 0, LeaderEpoch: -1})
	cr, err := adm.CommitOffsets(ctx, group, commit)
	r.check("commit offsets", err == nil && cr.Error() == nil, "err %v %v", err, cr.Error())
	fetched, err := adm.FetchOffsets(ctx, group)
	r.must(err, "fetch offsets")
	f0, _ := fetched.Lookup(topic, 0)
	f1, _ := fetched.Lookup(topic, 1)
	r.check("fetch offsets: committed offset and metadata", f0.Err == nil && f0.At == 7 && f0.Metadata == "by kadm" && f1.At == 0, "p0 %+v p1 %+v", f0, f1)
	lag, err := adm.Lag(ctx, group)
	var lag0 int64 = -1
	if err == nil {
		if l, ok := lag[group].Lag.Lookup(topic, 0); ok {
			lag0 = l.Lag
		}
	}
	r.check("lag of the committed group", err == nil && lag0 == 3, "err %v lag %d", err, lag0)
	coordinators := adm.FindGroupCoordinators(ctx, group)
	fc := coordinators[group]
	r.check("find group coordinator", fc.Err == nil && fc.NodeID == meta.Brokers[0].NodeID, "err %v node %d", fc.Err, fc.NodeID)
	offsetDeleted, err := adm.DeleteOffsets(ctx, group, kadm.TopicsSet{topic: {1: {}}})
	p1Err, p1OK := offsetDeleted.Lookup(topic, 1)
	r.check("delete offsets (OffsetDelete) of an empty group", err == nil && p1OK && p1Err == nil, "err %v partition 1 %v (answered %v)", err, p1Err, p1OK)
	fetched, err = adm.FetchOffsets(ctx, group)
	r.must(err, "fetch offsets after delete offsets")
	_, p0Left := fetched.Lookup(topic, 0)
	_, p1Left := fetched.Lookup(topic, 1)
	r.check("delete offsets removes only the named partition", p0Left && !p1Left, "offsets %v", fetched)
	listed, err := adm.ListGroups(ctx)
	r.must(err, "list groups")
	_, listedOK := listed[group]
	r.check("list groups includes the group with committed offsets", listedOK, "groups %v", listed.Groups())
	described, err := adm.DescribeGroups(ctx, group)
	r.must(err, "describe groups")
	equal(r, "describe groups: a group with only offsets is Empty", described[group].State, "Empty")
	del, err := adm.DeleteGroups(ctx, group)
	r.check("delete groups", err == nil && del[group].Err == nil, "err %v %v", err, del[group].Err)
	fetched, err = adm.FetchOffsets(ctx, group)
	_, still := fetched.Lookup(topic, 0)
	r.check("a deleted group has no committed offsets", err == nil && !still, "err %v offsets %v", err, fetched)
	delMissing, err := adm.DeleteGroups(ctx, prefix+"-no-group")
	r.check("delete a missing group: GROUP_ID_NOT_FOUND", errors.Is(either(err, delMissing[prefix+"-no-group"].Err), kerr.GroupIDNotFound), "%v", either(err, delMissing[prefix+"-no-group"].Err))

	// Delete the topic.
	dt, err := adm.DeleteTopics(ctx, topic)
	r.check("delete topic", err == nil && dt[topic].Err == nil, "err %v %v", err, dt[topic].Err)
	gone := waitFor(ctx, 5*time.Second, func() bool {
		t, err := adm.ListTopics(ctx)
		return err == nil && !t.Has(topic)
	})
	r.check("list topics no longer has the deleted topic", gone, "")
	dtMissing, err := adm.DeleteTopics(ctx, prefix+"-missing")
	r.check("delete a missing topic: UNKNOWN_TOPIC_OR_PARTITION", errors.Is(either(err, dtMissing[prefix+"-missing"].Err), kerr.UnknownTopicOrPartition), "%v", either(err, dtMissing[prefix+"-missing"].Err))
}

// either: kadm returns a per-resource error both in the response and as the call's error.
func either(err, resourceErr error) error {
	if resourceErr != nil {
		return resourceErr
	}
	return err
}

func configValue(rc kadm.ResourceConfig, key string) (string, kmsg.ConfigSource) {
	for _, c := range rc.Configs {
		if c.Key == key {
			return c.MaybeValue(), c.Source
		}
	}
	return "", kmsg.ConfigSourceUnknown
}
