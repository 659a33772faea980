package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// saramaConfig: sarama picks request versions from Config.Version rather than from ApiVersions
// alone, so it names the Kafka release the reference broker runs.
func saramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V4_1_0_0
	cfg.ClientID = "samsa-compat-sarama"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	return cfg
}

func saramaCreateTopic(r *reporter, bootstrap, topic string, partitions int32) {
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	r.must(err, "sarama.NewClusterAdmin")
	defer admin.Close()
	r.must(admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false), "create topic "+topic)
}

// saramaProduce: an idempotent sync producer (single sends and a batch) and an async producer
// with each compression codec, then every record read back by sarama's partition consumer.
func saramaProduce(ctx context.Context, r *reporter, bootstrap, prefix string) {
	topic := prefix + "-topic"
	saramaCreateTopic(r, bootstrap, topic, 2)
	sent := map[string]string{} // value -> key

	syncCfg := saramaConfig()
	syncCfg.Producer.Idempotent = true
	syncCfg.Net.MaxOpenRequests = 1
	syncCfg.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer([]string{bootstrap}, syncCfg)
	r.must(err, "sarama.NewSyncProducer")
	var offsets []string
	singleOK := true
	for i := 0; i < 10; i++ {
		value := fmt.Sprintf("sync-%d", i)
		p, o, err := producer.SendMessage(&sarama.ProducerMessage{
			Topic: topic, Partition: int32(i % 2), Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(value),
			Headers: []sarama.RecordHeader{{Key: []byte("i"), Value: []byte(fmt.Sprint(i))}},
		})
		if err != nil {
			singleOK = false
			offsets = append(offsets, err.Error())
			continue
		}
		sent[value] = fmt.Sprintf("k%d", i)
		offsets = append(offsets, fmt.Sprintf("%d@%d", p, o))
	}
	equal(r, "sync producer: partition@offset of each send", strings.Join(offsets, " "), "0@0 1@0 0@1 1@1 0@2 1@2 0@3 1@3 0@4 1@4")
	r.check("sync producer: every send acknowledged", singleOK, "")
	var batch []*sarama.ProducerMessage
	for i := 0; i < 10; i++ {
		value := fmt.Sprintf("batch-%d", i)
		batch = append(batch, &sarama.ProducerMessage{Topic: topic, Partition: 0, Key: sarama.StringEncoder("b"), Value: sarama.StringEncoder(value)})
	}
	err = producer.SendMessages(batch)
	if r.check("sync producer: SendMessages", err == nil, "%v", err) {
		for _, m := range batch {
			v, _ := m.Value.Encode()
			sent[string(v)] = "b"
		}
		equal(r, "sync producer: batch offsets", fmt.Sprint(batch[0].Offset, batch[9].Offset), "5 14")
	}
	producer.Close()

	// The async producer, once per codec, batching several messages per request.
	const asyncCount = 10
	for _, codec := range []sarama.CompressionCodec{sarama.CompressionGZIP, sarama.CompressionSnappy, sarama.CompressionLZ4, sarama.CompressionZSTD} {
		asyncCfg := saramaConfig()
		asyncCfg.Producer.Return.Errors = true
		asyncCfg.Producer.Compression = codec
		asyncCfg.Producer.Flush.Messages = 5
		asyncCfg.Producer.Flush.Frequency = 20 * time.Millisecond
		async, err := sarama.NewAsyncProducer([]string{bootstrap}, asyncCfg)
		r.must(err, "sarama.NewAsyncProducer")
		go func() {
			for i := 0; i < asyncCount; i++ {
				value := fmt.Sprintf("async-%s-%d %s", codec, i, strings.Repeat("compressible ", 30))
				async.Input() <- &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("%s%d", codec, i)), Value: sarama.StringEncoder(value)}
			}
		}()
		var successes, failures int
		var firstErr error
		timeout := time.After(20 * time.Second)
	collect:
		for successes+failures < asyncCount {
			select {
			case m := <-async.Successes():
				successes++
				k, _ := m.Key.Encode()
				v, _ := m.Value.Encode()
				sent[string(v)] = string(k)
			case e := <-async.Errors():
				failures++
				if firstErr == nil {
					firstErr = e.Err
				}
			case <-timeout:
				break collect
			}
		}
		async.AsyncClose()
		for range async.Successes() {
		}
		for range async.Errors() {
		}
		r.check(fmt.Sprintf("async producer with %s: every message acknowledged", codec), successes == asyncCount, "successes %d failures %d first error %v", successes, failures, firstErr)
	}

	client, err := sarama.NewClient([]string{bootstrap}, saramaConfig())
	r.must(err, "sarama.NewClient")
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	r.must(err, "sarama.NewConsumerFromClient")
	defer consumer.Close()
	got := map[string]string{}
	headersOK := true
	for p := int32(0); p < 2; p++ {
		hwm, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		r.must(err, "GetOffset")
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		r.must(err, "ConsumePartition")
		deadline := time.After(15 * time.Second)
	read:
		for n := int64(0); n < hwm; n++ {
			select {
			case m := <-pc.Messages():
				got[string(m.Value)] = string(m.Key)
				if strings.HasPrefix(string(m.Value), "sync-") {
					headersOK = headersOK && len(m.Headers) == 1 && string(m.Headers[0].Key) == "i" && "sync-"+string(m.Headers[0].Value) == string(m.Value)
				}
			case e := <-pc.Errors():
				r.check(fmt.Sprintf("partition consumer %d without errors", p), false, "%v", e)
				break read
			case <-deadline:
				break read
			}
		}
		pc.Close()
	}
	missing := []string{}
	for v, k := range sent {
		if got[v] != k {
			missing = append(missing, fmt.Sprintf("%q", v[:min(len(v), 12)]))
		}
	}
	sort.Strings(missing)
	r.check("consumer reads every produced message with its key", len(sent) == 60 && len(missing) == 0 && len(got) == len(sent), "sent %d read %d missing %v", len(sent), len(got), missing)
	r.check("consumer reads record headers", headersOK, "")
}

// groupHandler collects values and marks each message; Cleanup commits what was marked.
type groupHandler struct {
	mu     sync.Mutex
	values map[string]int
	claims map[int32]bool
	commit error
}

func (h *groupHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ps := range s.Claims() {
		for _, p := range ps {
			h.claims[p] = true
		}
	}
	return nil
}

func (h *groupHandler) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	return nil
}

func (h *groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.values[string(m.Value)]++
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

func (h *groupHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.values)
}

// runGroup consumes with sarama.NewConsumerGroup until `want` distinct values arrived (or 30 s).
func runGroup(ctx context.Context, r *reporter, bootstrap, group, topic string, want int) *groupHandler {
	cfg := saramaConfig()
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	cg, err := sarama.NewConsumerGroup([]string{bootstrap}, group, cfg)
	r.must(err, "sarama.NewConsumerGroup")
	h := &groupHandler{values: map[string]int{}, claims: map[int32]bool{}}
	runCtx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	var errs []error
	var errsMu sync.Mutex
	go func() {
		for e := range cg.Errors() {
			errsMu.Lock()
			errs = append(errs, e)
			errsMu.Unlock()
		}
	}()
	done := make(chan error, 1)
	go func() {
		for runCtx.Err() == nil {
			if err := cg.Consume(runCtx, []string{topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
				done <- err
				return
			}
		}
		done <- nil
	}()
	waitFor(runCtx, 30*time.Second, func() bool { return h.count() >= want })
	stop()
	consumeErr := <-done
	r.must(cg.Close(), "close consumer group")
	errsMu.Lock()
	defer errsMu.Unlock()
	r.check("consumer group "+group+" ran without errors", consumeErr == nil && len(errs) == 0, "consume %v, errors %v", consumeErr, errs)
	return h
}

// saramaGroup: a consumer group reads everything and commits; a later session resumes there.
func saramaGroup(ctx context.Context, r *reporter, bootstrap, prefix string) {
	topic, group := prefix+"-topic", prefix+"-group"
	saramaCreateTopic(r, bootstrap, topic, 2)
	produce := func(tag string, perPartition int) {
		cfg := saramaConfig()
		cfg.Producer.Partitioner = sarama.NewManualPartitioner
		producer, err := sarama.NewSyncProducer([]string{bootstrap}, cfg)
		r.must(err, "sarama.NewSyncProducer")
		defer producer.Close()
		var msgs []*sarama.ProducerMessage
		for p := int32(0); p < 2; p++ {
			for i := 0; i < perPartition; i++ {
				msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: p, Value: sarama.StringEncoder(fmt.Sprintf("%s-%d-%d", tag, p, i))})
			}
		}
		r.must(producer.SendMessages(msgs), "produce "+tag)
	}
	produce("first", 15)
	h := runGroup(ctx, r, bootstrap, group, topic, 30)
	equal(r, "group reads every record", h.count(), 30)
	r.check("the single member claimed both partitions", h.claims[0] && h.claims[1], "claims %v", h.claims)

	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	r.must(err, "sarama.NewClusterAdmin")
	defer admin.Close()
	offsets, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1}})
	r.must(err, "ListConsumerGroupOffsets")
	var at []string
	for p := int32(0); p < 2; p++ {
		if b := offsets.GetBlock(topic, p); b != nil && b.Err == sarama.ErrNoError {
			at = append(at, fmt.Sprint(b.Offset))
		} else {
			at = append(at, fmt.Sprintf("%v", b))
		}
	}
	equal(r, "committed offsets are the end offsets", strings.Join(at, " "), "15 15")
	groups, err := admin.DescribeConsumerGroups([]string{group})
	r.check("describe the group after the member left: Empty", err == nil && len(groups) == 1 && groups[0].State == "Empty", "err %v groups %+v", err, firstGroup(groups))
	listed, err := admin.ListConsumerGroups()
	_, ok := listed[group]
	r.check("list consumer groups includes the group", err == nil && ok, "err %v", err)

	produce("late", 2)
	h = runGroup(ctx, r, bootstrap, group, topic, 4)
	time.Sleep(300 * time.Millisecond)
	var seen []string
	for v := range h.values {
		seen = append(seen, v)
	}
	sort.Strings(seen)
	equal(r, "a new session resumes from the committed offsets", strings.Join(seen, " "), "late-0-0 late-0-1 late-1-0 late-1-1")
}

func firstGroup(gs []*sarama.GroupDescription) any {
	if len(gs) == 0 {
		return nil
	}
	return *gs[0]
}
