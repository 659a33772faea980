import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * Kafka Streams' word count against one broker, with processing.guarantee=at_least_once. Usage:
 * `StreamsWordCount <bootstrap> <run-id>`. Creates the input and output topics, produces a fixed set
 * of lines, then runs the topology
 * flatMapValues(split) -> groupBy(word) [repartition topic] -> count("word-counts") [changelog topic]
 * -> toStream -> output topic
 * until the output topic holds the expected final count of every word (latest value per key) or
 * the time runs out. Prints one JSON line: the counts read, whether they reached the expected ones,
 * the application's states, and the internal topics as Admin sees them. Holds no ids or clocks
 * other than the milliseconds it took, so two brokers' answers compare equal.
 */
public final class StreamsWordCount {
  static final String[] LINES = {
    "the quick brown fox",
    "jumps over the lazy dog",
    "the dog barks",
    "a fox and a dog",
    "quick quick slow",
    "the end",
  };
  static final String STORE = "word-counts";
  static final String GROUPING = "words";
  static final long RUN_TIMEOUT_MS = 60_000;

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String runId = args[1];
    String input = "wordcount-input-" + runId;
    String output = "wordcount-output-" + runId;
    String appId = "wordcount-" + runId;
    String repartition = appId + "-" + GROUPING + "-repartition";
    String changelog = appId + "-" + STORE + "-changelog";
    long start = System.currentTimeMillis();

    Map<String, Long> expected = new TreeMap<>();
    for (String line : LINES) {
      for (String w : line.toLowerCase(Locale.ROOT).split("\\W+")) expected.merge(w, 1L, Long::sum);
    }

    Map<String, Object> result = new LinkedHashMap<>();
    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    File stateDir = Files.createTempDirectory("samsa-streams-").toFile();
    try (Admin admin = Admin.create(adminProps)) {
      admin.createTopics(List.of(new NewTopic(input, 2, (short) 1), new NewTopic(output, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      result.put("createTopics", "ok");

      Properties producerProps = new Properties();
      producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
        for (int i = 0; i < LINES.length; i++) producer.send(new ProducerRecord<>(input, "line-" + i, LINES[i])).get(30, TimeUnit.SECONDS);
      }
      result.put("produced", LINES.length);

      StreamsBuilder builder = new StreamsBuilder();
      KStream<String, String> lines = builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()));
      lines
          .flatMapValues(v -> Arrays.asList(v.toLowerCase(Locale.ROOT).split("\\W+")))
          .groupBy((k, word) -> word, Grouped.with(GROUPING, Serdes.String(), Serdes.String()))
          .count(Materialized.as(STORE))
          .toStream()
          .to(output, Produced.with(Serdes.String(), Serdes.Long()));

      Properties streamsProps = new Properties();
      streamsProps.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
      streamsProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      streamsProps.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
      streamsProps.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.getAbsolutePath());
      streamsProps.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
      streamsProps.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
      streamsProps.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
      // No record cache, so every update reaches the output topic without waiting for a flush.
      streamsProps.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
      streamsProps.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

      List<String> states = Collections.synchronizedList(new ArrayList<>());
      AtomicReference<String> uncaught = new AtomicReference<>(null);
      Map<String, Long> counts = new TreeMap<>();
      KafkaStreams streams = new KafkaStreams(builder.build(), streamsProps);
      streams.setStateListener((now, before) -> {
        // REBALANCING <-> RUNNING may repeat; only the distinct sequence of states is of interest.
        String s = now.name();
        synchronized (states) {
          if (states.isEmpty() || !states.get(states.size() - 1).equals(s)) states.add(s);
        }
      });
      streams.setUncaughtExceptionHandler(e -> {
        uncaught.compareAndSet(null, e.getClass().getName() + ": " + e.getMessage());
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      });
      streams.start();
      try {
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class);
        try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(consumerProps)) {
          TopicPartition tp = new TopicPartition(output, 0);
          consumer.assign(List.of(tp));
          consumer.seekToBeginning(List.of(tp));
          long deadline = System.currentTimeMillis() + RUN_TIMEOUT_MS;
          while (!counts.equals(expected) && System.currentTimeMillis() < deadline && uncaught.get() == null
              && streams.state() != KafkaStreams.State.ERROR && streams.state() != KafkaStreams.State.NOT_RUNNING) {
            for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) counts.put(r.key(), r.value());
          }
        }
      } finally {
        streams.close(Duration.ofSeconds(20));
        streams.cleanUp();
      }
      result.put("counts", counts);
      result.put("reachedExpected", counts.equals(expected));
      result.put("states", new ArrayList<>(states));
      result.put("uncaughtException", uncaught.get());

      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      Map<String, TopicDescription> described = admin.describeTopics(List.of(repartition, changelog).stream().filter(names::contains).toList())
          .allTopicNames().get(30, TimeUnit.SECONDS);
      List<ConfigResource> resources = described.keySet().stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
      Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
      Map<String, Object> internal = new LinkedHashMap<>();
      for (String[] t : new String[][] {{"repartition", repartition}, {"changelog", changelog}}) {
        Map<String, Object> topic = new LinkedHashMap<>();
        topic.put("exists", names.contains(t[1]));
        TopicDescription d = described.get(t[1]);
        if (d != null) {
          topic.put("partitions", d.partitions().size());
          Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t[1]));
          topic.put("cleanupPolicy", c.get("cleanup.policy") == null ? null : c.get("cleanup.policy").value());
        }
        internal.put(t[0], topic);
      }
      result.put("internalTopics", internal);
    } catch (Exception e) {
      result.put("error", e.getClass().getName() + ": " + e.getMessage());
    } finally {
      deleteRecursively(stateDir);
    }
    result.put("expected", expected);
    result.put("ms", System.currentTimeMillis() - start);
    System.out.println(new ObjectMapper().writeValueAsString(result));
    System.out.flush();
    // Streams' and the clients' background threads must not keep the JVM alive.
    System.exit(0);
  }

  static void deleteRecursively(File f) {
    File[] children = f.listFiles();
    if (children != null) for (File c : children) deleteRecursively(c);
    f.delete();
  }
}
