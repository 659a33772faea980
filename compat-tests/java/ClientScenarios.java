import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Scenarios for the Java client (kafka-clients) against one broker, for compat tests that run the
 * same scenarios against Samsa and a real Kafka and compare. Usage:
 * `ClientScenarios <bootstrap> <scenario>...`; prints one JSON line per scenario,
 * {"scenario", "result", "ms"}, where result maps each step's name to what the client saw, or to
 * {"error": "..."} when the step threw (later steps still run). Results hold no ids or clocks, so
 * the two brokers' answers compare equal.
 */
public final class ClientScenarios {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
  static final long WAIT_SECONDS = 30;
  /**
   * An hour ago, to the second: recent enough that neither broker's retention (7 days) deletes
   * the records mid-scenario (Kafka also deletes an expired active segment), old enough to pass
   * Kafka 4's message.timestamp.after.max.ms.
   */
  static final long BASE_TIMESTAMP = (System.currentTimeMillis() / 1000 - 3600) * 1000;
  static String bootstrap;

  public static void main(String[] args) throws Exception {
    bootstrap = args[0];
    for (int i = 1; i < args.length; i++) {
      String name = args[i];
      Map<String, Object> result = new LinkedHashMap<>();
      long start = System.nanoTime();
      try {
        switch (name) {
          case "producer-codecs" -> producerCodecs(result);
          case "consumer-classic" -> consumerGroup(result, "classic");
          case "consumer-consumer" -> consumerGroup(result, "consumer");
          case "admin" -> admin(result);
          case "consumer-positioning" -> positioning(result);
          case "edge-cases" -> edgeCases(result);
          default -> result.put("error", "unknown scenario " + name);
        }
      } catch (Throwable e) {
        result.put("error", describe(e));
      }
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("scenario", name);
      line.put("result", result);
      line.put("ms", (System.nanoTime() - start) / 1_000_000);
      System.out.println(JSON.writeValueAsString(line));
      System.out.flush();
    }
    // Client threads left by a failed step must not keep the JVM alive.
    System.exit(0);
  }

  // ---------------------------------------------------------------------------------------------
  // Steps

  interface Step {
    Object run() throws Exception;
  }

  /** Runs one step; its value, or {"error"} when it threw, goes into `result` under `name`. */
  static void step(Map<String, Object> result, String name, Step step) {
    long start = System.nanoTime();
    try {
      result.put(name, step.run());
    } catch (Throwable e) {
      result.put(name, Map.of("error", describe(e)));
    }
    // Timings go to stderr: the results must compare equal between brokers.
    System.err.println("step " + name + ": " + (System.nanoTime() - start) / 1_000_000 + " ms");
  }

  /** The exception as a client user sees it: the cause of an ExecutionException, class and message. */
  static String describe(Throwable e) {
    Throwable t = e;
    while (t instanceof ExecutionException && t.getCause() != null) t = t.getCause();
    String s = t.getClass().getSimpleName() + ": " + t.getMessage();
    if (t.getCause() != null && t.getCause() != t) s += " (caused by " + t.getCause().getClass().getSimpleName() + ": " + t.getCause().getMessage() + ")";
    return s;
  }

  static String exceptionName(Callable<?> call) {
    try {
      call.call();
      return "none";
    } catch (Throwable e) {
      Throwable t = e;
      while (t instanceof ExecutionException && t.getCause() != null) t = t.getCause();
      return t.getClass().getSimpleName();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  static Properties common() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("request.timeout.ms", "15000");
    p.put("default.api.timeout.ms", "30000");
    return p;
  }

  static Admin admin() {
    Properties p = common();
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "compat-admin");
    return Admin.create(p);
  }

  /** The default producer: idempotent (enable.idempotence=true, acks=all) since Kafka 3.0. */
  static KafkaProducer<byte[], byte[]> producer(String compression) {
    Properties p = common();
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // Small batches, so several are in flight at once and the idempotent sequences matter.
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "4096");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static KafkaConsumer<byte[], byte[]> consumer(Map<String, String> extra) {
    Properties p = common();
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.putAll(extra);
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static void createTopic(Admin admin, String topic, int partitions, Map<String, String> configs) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String string(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** Polls until `count` records arrived or the deadline passed. */
  static List<ConsumerRecord<byte[], byte[]>> pollFor(KafkaConsumer<byte[], byte[]> consumer, int count, long timeoutMs) {
    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (got.size() < count && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) got.add(r);
    }
    return got;
  }

  // ---------------------------------------------------------------------------------------------
  // The idempotent producer with every codec, read back record by record.

  static void producerCodecs(Map<String, Object> result) throws Exception {
    final int n = 200;
    try (Admin admin = admin()) {
      for (String codec : CODECS) {
        String topic = "java-codec-" + codec;
        step(result, codec, () -> {
          createTopic(admin, topic, 1, Map.of());
          List<Long> offsets = new ArrayList<>();
          try (KafkaProducer<byte[], byte[]> producer = producer(codec)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
              ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, 0, BASE_TIMESTAMP + i, bytes("key-" + i), bytes(value(codec, i)));
              r.headers().add("index", bytes(Integer.toString(i)));
              sent.add(producer.send(r));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) offsets.add(f.get(WAIT_SECONDS, TimeUnit.SECONDS).offset());
          }
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("acknowledged", offsets.size());
          r.put("offsetsInOrder", inOrder(offsets));
          TopicPartition tp = new TopicPartition(topic, 0);
          try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> got = pollFor(consumer, n, 30_000);
            r.put("received", got.size());
            String mismatch = null;
            for (int i = 0; i < got.size() && mismatch == null; i++) {
              ConsumerRecord<byte[], byte[]> c = got.get(i);
              Header h = c.headers().lastHeader("index");
              if (c.offset() != i) mismatch = "offset " + c.offset() + " at " + i;
              else if (!("key-" + i).equals(string(c.key()))) mismatch = "key at " + i + ": " + string(c.key());
              else if (!value(codec, i).equals(string(c.value()))) mismatch = "value at " + i;
              else if (c.timestamp() != BASE_TIMESTAMP + i) mismatch = "timestamp at " + i + ": " + c.timestamp();
              else if (h == null || !Integer.toString(i).equals(string(h.value()))) mismatch = "header at " + i;
            }
            r.put("firstMismatch", mismatch);
          }
          return r;
        });
      }
    }
  }

  /** A compressible value that still differs per record. */
  static String value(String codec, int i) {
    return codec + "-value-" + i + "-" + "abcdefghij".repeat(10);
  }

  static boolean inOrder(List<Long> offsets) {
    for (int i = 0; i < offsets.size(); i++) if (offsets.get(i) != i) return false;
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // A consumer group with the classic protocol or KIP-848's consumer protocol, committing offsets.

  static void consumerGroup(Map<String, Object> result, String protocol) throws Exception {
    String topic = "java-group-" + protocol;
    String group = "java-group-" + protocol;
    Map<String, String> groupProps = Map.of(ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
    try (Admin admin = admin()) {
      step(result, "createTopic", () -> {
        createTopic(admin, topic, 3, Map.of());
        return "ok";
      });
      step(result, "produce", () -> produceKeyed(topic, 0, 30));
      List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
      step(result, "firstMember", () -> {
        Map<String, Object> r = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(groupProps)) {
          consumer.subscribe(List.of(topic));
          List<ConsumerRecord<byte[], byte[]>> got = pollFor(consumer, 30, 45_000);
          r.put("received", got.size());
          r.put("distinctValues", distinctValues(got).size());
          r.put("assignment", partitionsOf(consumer.assignment()));
          r.put("describedWhileActive", describeActiveGroup(admin, group));
          consumer.commitSync(Duration.ofSeconds(WAIT_SECONDS));
          r.put("committed", offsetsOf(consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(WAIT_SECONDS))));
        }
        return r;
      });
      step(result, "produceMore", () -> produceKeyed(topic, 30, 6));
      step(result, "secondMember", () -> {
        Map<String, Object> r = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(groupProps)) {
          consumer.subscribe(List.of(topic));
          List<ConsumerRecord<byte[], byte[]>> got = pollFor(consumer, 6, 45_000);
          // A little longer: a consumer that did not resume from the commit would see old records too.
          for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(500))) got.add(rec);
          r.put("resumedValues", new TreeSet<>(distinctValues(got)));
          consumer.commitSync(Duration.ofSeconds(WAIT_SECONDS));
        }
        return r;
      });
      step(result, "listConsumerGroupOffsets", () -> offsetsOf(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "twoMembers", () -> twoMembers(topic, groupProps));
      step(result, "describeConsumerGroup", () -> {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(WAIT_SECONDS, TimeUnit.SECONDS);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("groupId", d.groupId());
        r.put("type", String.valueOf(d.type()));
        r.put("state", String.valueOf(d.groupState()));
        r.put("members", d.members().size());
        return r;
      });
    }
  }

  /** The group as Admin describes it while one member consumes: ConsumerGroupDescribe for the consumer protocol, DescribeGroups for classic. */
  static Map<String, Object> describeActiveGroup(Admin admin, String group) throws Exception {
    ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(WAIT_SECONDS, TimeUnit.SECONDS);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("state", String.valueOf(d.groupState()));
    r.put("type", String.valueOf(d.type()));
    r.put("partitionAssignor", d.partitionAssignor());
    r.put("coordinator", d.coordinator() == null ? null : d.coordinator().id());
    r.put("hasGroupEpoch", d.groupEpoch().isPresent());
    List<Object> members = new ArrayList<>();
    for (MemberDescription m : d.members()) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("hasMemberId", !m.consumerId().isEmpty());
      member.put("clientIdPrefix", m.clientId().replaceAll("-\\d+$", ""));
      member.put("assignment", partitionsOf(m.assignment().topicPartitions()));
      member.put("hasMemberEpoch", m.memberEpoch().isPresent());
      members.add(member);
    }
    r.put("members", members);
    return r;
  }

  /**
   * Two members share the three partitions (a rebalance on join), then the one left takes them
   * all (a rebalance on leave). Both are polled from this thread in turn, as each needs.
   */
  static Object twoMembers(String topic, Map<String, String> groupProps) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    KafkaConsumer<byte[], byte[]> first = consumer(groupProps);
    try (KafkaConsumer<byte[], byte[]> second = consumer(groupProps)) {
      first.subscribe(List.of(topic));
      second.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 45_000;
      while (System.currentTimeMillis() < deadline) {
        first.poll(Duration.ofMillis(100));
        second.poll(Duration.ofMillis(100));
        Set<TopicPartition> a = first.assignment();
        Set<TopicPartition> b = second.assignment();
        Set<TopicPartition> union = new HashSet<>(a);
        union.addAll(b);
        if (!a.isEmpty() && !b.isEmpty() && union.size() == 3 && a.size() + b.size() == 3) break;
      }
      List<Integer> sizes = new ArrayList<>(List.of(first.assignment().size(), second.assignment().size()));
      sizes.sort(null);
      Set<TopicPartition> union = new HashSet<>(first.assignment());
      union.addAll(second.assignment());
      r.put("sharedSizes", sizes);
      r.put("sharedUnion", partitionsOf(union));
      first.close(Duration.ofSeconds(WAIT_SECONDS));
      first = null;
      deadline = System.currentTimeMillis() + 45_000;
      while (System.currentTimeMillis() < deadline && second.assignment().size() != 3) second.poll(Duration.ofMillis(100));
      r.put("afterLeave", partitionsOf(second.assignment()));
    } finally {
      if (first != null) first.close(Duration.ofSeconds(WAIT_SECONDS));
    }
    return r;
  }

  static Object produceKeyed(String topic, int from, int count) throws Exception {
    List<Long> offsets = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = from; i < from + count; i++) sent.add(producer.send(new ProducerRecord<>(topic, bytes("key-" + i), bytes("value-" + i))));
      producer.flush();
      for (Future<RecordMetadata> f : sent) offsets.add(f.get(WAIT_SECONDS, TimeUnit.SECONDS).offset());
    }
    return offsets.size();
  }

  static List<String> distinctValues(List<ConsumerRecord<byte[], byte[]>> records) {
    Set<String> seen = new TreeSet<>();
    for (ConsumerRecord<byte[], byte[]> r : records) seen.add(string(r.value()));
    return new ArrayList<>(seen);
  }

  static List<Integer> partitionsOf(Collection<TopicPartition> tps) {
    TreeSet<Integer> out = new TreeSet<>();
    for (TopicPartition tp : tps) out.add(tp.partition());
    return new ArrayList<>(out);
  }

  /** topic-partition -> committed offset, sorted; null where nothing is committed. */
  static Map<String, Object> offsetsOf(Map<TopicPartition, OffsetAndMetadata> offsets) {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) out.put(e.getKey().toString(), e.getValue() == null ? null : e.getValue().offset());
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Admin

  static void admin(Map<String, Object> result) throws Exception {
    String a = "java-admin-a";
    String b = "java-admin-b";
    String group = "java-admin-group";
    try (Admin admin = admin()) {
      step(result, "describeCluster", () -> {
        DescribeClusterResult d = admin.describeCluster();
        Map<String, Object> r = new LinkedHashMap<>();
        List<Integer> ids = new ArrayList<>();
        for (Node node : d.nodes().get(WAIT_SECONDS, TimeUnit.SECONDS)) ids.add(node.id());
        r.put("nodes", ids);
        r.put("controller", d.controller().get(WAIT_SECONDS, TimeUnit.SECONDS).id());
        String clusterId = d.clusterId().get(WAIT_SECONDS, TimeUnit.SECONDS);
        r.put("hasClusterId", clusterId != null && !clusterId.isEmpty());
        return r;
      });
      step(result, "createTopics", () -> {
        admin.createTopics(List.of(new NewTopic(a, 2, (short) 1), new NewTopic(b, 1, (short) 1).configs(Map.of("retention.ms", "3600000")))).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return "ok";
      });
      step(result, "createExisting", () -> exceptionName(() -> admin.createTopics(List.of(new NewTopic(a, 1, (short) 1))).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "listTopics", () -> {
        Set<String> names = admin.listTopics().names().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return Map.of("hasA", names.contains(a), "hasB", names.contains(b), "hasInternal", names.contains("__consumer_offsets"));
      });
      step(result, "describeTopics", () -> describeTopics(admin, List.of(a, b)));
      ConfigResource topicB = new ConfigResource(ConfigResource.Type.TOPIC, b);
      step(result, "describeTopicConfigs", () -> configs(admin, topicB, List.of("retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes")));
      step(result, "alterTopicConfigs", () -> {
        admin.incrementalAlterConfigs(Map.of(topicB, List.of(
            new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
            new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET)))).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return configs(admin, topicB, List.of("retention.ms", "cleanup.policy"));
      });
      step(result, "deleteAndAppendTopicConfigs", () -> {
        admin.incrementalAlterConfigs(Map.of(topicB, List.of(
            new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
            new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND)))).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return configs(admin, topicB, List.of("retention.ms", "cleanup.policy"));
      });
      step(result, "alterInvalidConfig", () -> exceptionName(() -> admin.incrementalAlterConfigs(Map.of(topicB, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", "not-a-number"), AlterConfigOp.OpType.SET)))).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "describeBrokerConfigs", () -> {
        int node = admin.describeCluster().controller().get(WAIT_SECONDS, TimeUnit.SECONDS).id();
        return configs(admin, new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(node)), List.of("message.max.bytes", "log.retention.hours", "log.segment.bytes"));
      });
      step(result, "createPartitions", () -> {
        admin.createPartitions(Map.of(a, NewPartitions.increaseTo(4))).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return describeTopics(admin, List.of(a));
      });
      step(result, "createPartitionsDecrease", () -> exceptionName(() -> admin.createPartitions(Map.of(a, NewPartitions.increaseTo(2))).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      TopicPartition a0 = new TopicPartition(a, 0);
      step(result, "produce", () -> {
        try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
          for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(a, 0, BASE_TIMESTAMP + i * 1000L, null, bytes("v" + i)));
          producer.flush();
        }
        return "ok";
      });
      step(result, "deleteRecords", () -> admin.deleteRecords(Map.of(a0, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(a0).get(WAIT_SECONDS, TimeUnit.SECONDS).lowWatermark());
      step(result, "deleteRecordsBeyondEnd", () -> exceptionName(() -> admin.deleteRecords(Map.of(a0, RecordsToDelete.beforeOffset(100))).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "listOffsets", () -> {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("earliest", listOffset(admin, a0, OffsetSpec.earliest()));
        r.put("latest", listOffset(admin, a0, OffsetSpec.latest()));
        r.put("maxTimestamp", listOffset(admin, a0, OffsetSpec.maxTimestamp()));
        r.put("forTimestamp6000", listOffset(admin, a0, OffsetSpec.forTimestamp(BASE_TIMESTAMP + 6000)));
        r.put("forTimestamp6500", listOffset(admin, a0, OffsetSpec.forTimestamp(BASE_TIMESTAMP + 6500)));
        r.put("forTimestampLater", listOffset(admin, a0, OffsetSpec.forTimestamp(BASE_TIMESTAMP + 60_000)));
        // KIP-1005 (ListOffsets v9): without tiered storage the local log is the whole log.
        r.put("earliestLocal", listOffset(admin, a0, OffsetSpec.earliestLocal()));
        r.put("latestTiered", listOffset(admin, a0, OffsetSpec.latestTiered()));
        return r;
      });
      TopicPartition a1 = new TopicPartition(a, 1);
      step(result, "alterConsumerGroupOffsets", () -> {
        admin.alterConsumerGroupOffsets(group, Map.of(a0, new OffsetAndMetadata(7), a1, new OffsetAndMetadata(0))).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return "ok";
      });
      step(result, "listConsumerGroupOffsets", () -> offsetsOf(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "listConsumerGroups", () -> listsGroup(admin, group));
      step(result, "describeConsumerGroup", () -> {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return Map.of("state", String.valueOf(d.groupState()), "members", d.members().size(), "type", String.valueOf(d.type()));
      });
      step(result, "deleteConsumerGroupOffsets", () -> {
        admin.deleteConsumerGroupOffsets(group, Set.of(a1)).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return offsetsOf(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(WAIT_SECONDS, TimeUnit.SECONDS));
      });
      step(result, "deleteConsumerGroups", () -> {
        admin.deleteConsumerGroups(List.of(group)).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return listsGroup(admin, group);
      });
      step(result, "deleteUnknownGroup", () -> exceptionName(() -> admin.deleteConsumerGroups(List.of("java-admin-no-such-group")).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "deleteTopics", () -> {
        admin.deleteTopics(List.of(a, b)).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
        // Deletion reaches the metadata a moment later on Kafka.
        long deadline = System.currentTimeMillis() + 15_000;
        Set<String> names;
        do {
          names = admin.listTopics().names().get(WAIT_SECONDS, TimeUnit.SECONDS);
          if (!names.contains(a) && !names.contains(b)) break;
          Thread.sleep(100);
        } while (System.currentTimeMillis() < deadline);
        return Map.of("hasA", names.contains(a), "hasB", names.contains(b));
      });
      step(result, "deleteUnknownTopic", () -> exceptionName(() -> admin.deleteTopics(List.of("java-admin-no-such-topic")).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
    }
  }

  static Map<String, Object> describeTopics(Admin admin, List<String> topics) throws Exception {
    Map<String, TopicDescription> all = admin.describeTopics(topics).allTopicNames().get(WAIT_SECONDS, TimeUnit.SECONDS);
    Map<String, Object> out = new TreeMap<>();
    for (TopicDescription d : all.values()) {
      List<Object> partitions = new ArrayList<>();
      for (TopicPartitionInfo p : d.partitions()) {
        Map<String, Object> pi = new LinkedHashMap<>();
        pi.put("partition", p.partition());
        pi.put("leader", p.leader() == null ? null : p.leader().id());
        pi.put("replicas", p.replicas().stream().map(Node::id).toList());
        pi.put("isr", p.isr().stream().map(Node::id).toList());
        partitions.add(pi);
      }
      out.put(d.name(), Map.of("internal", d.isInternal(), "partitions", partitions));
    }
    return out;
  }

  /** The named config entries: value, source, and whether Kafka marks them read-only or sensitive. */
  static Map<String, Object> configs(Admin admin, ConfigResource resource, List<String> names) throws Exception {
    Config config = admin.describeConfigs(List.of(resource)).all().get(WAIT_SECONDS, TimeUnit.SECONDS).get(resource);
    Map<String, Object> out = new LinkedHashMap<>();
    for (String name : names) {
      ConfigEntry e = config.get(name);
      if (e == null) {
        out.put(name, null);
        continue;
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("value", e.value());
      entry.put("source", String.valueOf(e.source()));
      entry.put("readOnly", e.isReadOnly());
      entry.put("sensitive", e.isSensitive());
      out.put(name, entry);
    }
    return out;
  }

  static Object listOffset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
    ListOffsetsResult.ListOffsetsResultInfo info = admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get(WAIT_SECONDS, TimeUnit.SECONDS);
    return info.offset();
  }

  static Object listsGroup(Admin admin, String group) throws Exception {
    Collection<GroupListing> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
    for (GroupListing g : groups) {
      if (g.groupId().equals(group)) {
        return Map.of("listed", true, "state", String.valueOf(g.groupState().orElse(null)), "type", String.valueOf(g.type().orElse(null)), "simple", g.isSimpleConsumerGroup());
      }
    }
    return Map.of("listed", false);
  }

  // ---------------------------------------------------------------------------------------------
  // KafkaConsumer#offsetsForTimes, seek, pause and resume.

  static void positioning(Map<String, Object> result) throws Exception {
    String topic = "java-positioning";
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = admin()) {
      step(result, "createTopic", () -> {
        createTopic(admin, topic, 1, Map.of());
        return "ok";
      });
    }
    step(result, "produce", () -> produceTimed(topic, 0, 20));
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of())) {
      consumer.assign(List.of(tp));
      step(result, "offsetsForTimes", () -> {
        Map<String, Object> r = new LinkedHashMap<>();
        for (long at : new long[] {0, 5000, 5500, 19_000, 100_000}) {
          Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(Map.of(tp, BASE_TIMESTAMP + at), Duration.ofSeconds(WAIT_SECONDS));
          OffsetAndTimestamp o = found.get(tp);
          r.put("at+" + at, o == null ? null : Map.of("offset", o.offset(), "timestamp", o.timestamp() - BASE_TIMESTAMP));
        }
        return r;
      });
      step(result, "beginningAndEnd", () -> Map.of(
          "beginning", consumer.beginningOffsets(List.of(tp), Duration.ofSeconds(WAIT_SECONDS)).get(tp),
          "end", consumer.endOffsets(List.of(tp), Duration.ofSeconds(WAIT_SECONDS)).get(tp)));
      step(result, "seek", () -> {
        consumer.seek(tp, 10);
        List<ConsumerRecord<byte[], byte[]>> got = pollFor(consumer, 10, 30_000);
        return Map.of("first", got.isEmpty() ? -1 : got.get(0).offset(), "count", got.size(), "position", consumer.position(tp));
      });
      step(result, "seekBack", () -> {
        consumer.seek(tp, 3);
        List<ConsumerRecord<byte[], byte[]>> got = pollFor(consumer, 1, 30_000);
        if (got.isEmpty()) {
          // Seen once against Kafka itself on a loaded machine: a fetch in flight at the seek
          // answered for the old position and nothing followed. Seeking again is what a user does.
          consumer.seek(tp, 3);
          got = pollFor(consumer, 1, 30_000);
        }
        return Map.of("first", got.isEmpty() ? -1 : got.get(0).offset(), "value", got.isEmpty() ? "" : string(got.get(0).value()));
      });
      step(result, "pause", () -> {
        consumer.seek(tp, 20);
        consumer.pause(List.of(tp));
        produceTimed(topic, 20, 5);
        int whilePaused = 0;
        long until = System.currentTimeMillis() + 1500;
        while (System.currentTimeMillis() < until) whilePaused += consumer.poll(Duration.ofMillis(250)).count();
        return Map.of("paused", partitionsOf(consumer.paused()), "recordsWhilePaused", whilePaused);
      });
      step(result, "resume", () -> {
        consumer.resume(List.of(tp));
        List<ConsumerRecord<byte[], byte[]>> got = pollFor(consumer, 5, 30_000);
        List<Long> offsets = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : got) offsets.add(r.offset());
        return Map.of("paused", partitionsOf(consumer.paused()), "offsets", offsets, "position", consumer.position(tp));
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors a client meets: oversized batches, active groups, offsets out of range, no commit,
  // topics by id, topic auto-creation.

  static void edgeCases(Map<String, Object> result) throws Exception {
    String topic = "java-edge";
    String group = "java-edge-group";
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = admin()) {
      step(result, "createTopic", () -> {
        createTopic(admin, topic, 1, Map.of("max.message.bytes", "2000"));
        return "ok";
      });
      step(result, "recordTooLarge", () -> {
        try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
          return exceptionName(() -> producer.send(new ProducerRecord<>(topic, 0, null, new byte[3000])).get(WAIT_SECONDS, TimeUnit.SECONDS));
        }
      });
      step(result, "produce", () -> produceTimed(topic, 0, 5));
      step(result, "describeById", () -> {
        org.apache.kafka.common.Uuid id = admin.describeTopics(List.of(topic)).allTopicNames().get(WAIT_SECONDS, TimeUnit.SECONDS).get(topic).topicId();
        TopicDescription d = admin.describeTopics(TopicCollection.ofTopicIds(List.of(id))).allTopicIds().get(WAIT_SECONDS, TimeUnit.SECONDS).get(id);
        return Map.of("name", d.name(), "partitions", d.partitions().size(), "sameId", id.equals(d.topicId()));
      });
      step(result, "describeUnknownId", () -> exceptionName(() -> admin.describeTopics(TopicCollection.ofTopicIds(List.of(org.apache.kafka.common.Uuid.randomUuid()))).allTopicIds().get(WAIT_SECONDS, TimeUnit.SECONDS)));
      step(result, "activeGroup", () -> {
        Map<String, Object> r = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
          consumer.subscribe(List.of(topic));
          r.put("received", pollFor(consumer, 5, 45_000).size());
          consumer.commitSync(Duration.ofSeconds(WAIT_SECONDS));
          r.put("deleteGroup", exceptionName(() -> admin.deleteConsumerGroups(List.of(group)).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
          r.put("alterOffsets", exceptionName(() -> admin.alterConsumerGroupOffsets(group, Map.of(tp, new OffsetAndMetadata(1))).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
          r.put("deleteOffsets", exceptionName(() -> admin.deleteConsumerGroupOffsets(group, Set.of(tp)).all().get(WAIT_SECONDS, TimeUnit.SECONDS)));
        }
        return r;
      });
      step(result, "fetchOutOfRange", () -> {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
          consumer.assign(List.of(tp));
          consumer.seek(tp, 100);
          return exceptionName(() -> {
            long until = System.currentTimeMillis() + 15_000;
            while (System.currentTimeMillis() < until) consumer.poll(Duration.ofMillis(200));
            return null;
          });
        }
      });
      step(result, "noCommittedOffset", () -> {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group + "-new", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
          consumer.subscribe(List.of(topic));
          return exceptionName(() -> {
            long until = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < until) consumer.poll(Duration.ofMillis(200));
            return null;
          });
        }
      });
      step(result, "autoCreate", () -> {
        Properties p = common();
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
          RecordMetadata m = producer.send(new ProducerRecord<>("java-edge-auto", bytes("v"))).get(WAIT_SECONDS, TimeUnit.SECONDS);
          return Map.of("partition", m.partition(), "offset", m.offset(), "partitions", describeTopics(admin, List.of("java-edge-auto")).size());
        }
      });
    }
  }

  /** Records whose timestamps are BASE_TIMESTAMP + offset seconds, so times map to offsets. */
  static Object produceTimed(String topic, int from, int count) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = from; i < from + count; i++) sent.add(producer.send(new ProducerRecord<>(topic, 0, BASE_TIMESTAMP + i * 1000L, null, bytes("v" + i))));
      producer.flush();
      for (Future<RecordMetadata> f : sent) f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
    return count;
  }
}
