package marketplace.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

/**
 * Kafka Streams reference for the benchmark: latest product state per product id (ordered by the
 * event's per-product version, as in docs/architecture.md#processing-rules), then seller and
 * category aggregates with adder and subtractor, exactly_once_v2. Money is kept per ISO 4217
 * currency (a map from currency code to minor units, a currency present while a product not
 * deleted is priced in it), as in docs/architecture.md#metrics. Output: JSON values keyed by seller
 * id / category on the seller and category output topics.
 *
 * <p>Arguments: bootstrapServers applicationId createdTopic updatedTopic deletedTopic
 * sellerOutTopic categoryOutTopic stateDir [threads [commitIntervalMs [cacheMaxBytes]]] (defaults: 1 thread and
 * Kafka Streams' own defaults for exactly_once_v2, 100 ms commits and a 10 MB cache).
 */
public final class KStreamsReference {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KStreamsReference() {}

  /** Latest state of one product; version 0 means "no valid event seen". */
  public static final class Product {
    public long version;
    public String sellerId;
    public String category;
    public long priceCents;
    public String currency = "";
    public long quantity;
    public boolean active;
    public boolean deleted;
  }

  /** Seller aggregate; money per currency. */
  public static final class Seller {
    public long totalProducts;
    public long activeProducts;
    public long deletedProducts;
    public long lowStockCount;
    /** Products not deleted per currency: a currency leaves the maps when its count reaches 0. */
    public TreeMap<String, Long> pricedCount = new TreeMap<>();
    public TreeMap<String, BigInteger> totalValue = new TreeMap<>();
  }

  /** Category aggregate; money per currency. */
  public static final class Category {
    public long productCount;
    public TreeMap<String, Long> pricedCount = new TreeMap<>();
    public TreeMap<String, BigInteger> totalValue = new TreeMap<>();
    public TreeMap<String, BigInteger> priceSum = new TreeMap<>();
  }

  private static <T> Serde<T> jsonSerde(Class<T> type) {
    Serializer<T> ser = (topic, value) -> {
      try {
        return value == null ? null : JSON.writeValueAsBytes(value);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    Deserializer<T> de = (topic, bytes) -> {
      try {
        return bytes == null ? null : JSON.readValue(bytes, type);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  /** Applies one raw event to the product state; invalid input leaves the state unchanged. */
  static Product apply(String key, byte[] raw, Product prior) {
    final JsonNode event;
    try {
      event = JSON.readTree(new String(raw, StandardCharsets.UTF_8));
    } catch (Exception e) {
      return prior;
    }
    if (event == null || !event.isObject()) return prior;
    JsonNode data = event.get("data");
    String type = event.path("type").asText("");
    long version = event.path("version").asLong(0);
    if (data == null || !data.isObject() || version < 1 || !key.equals(event.path("productId").asText(null))) {
      return prior;
    }
    if (prior.version >= version) return prior;
    Product next = new Product();
    next.version = version;
    switch (type) {
      case "product.created", "product.updated" -> {
        if (!data.hasNonNull("sellerId") || !data.hasNonNull("category") || !data.path("priceCents").isIntegralNumber()
            || !data.path("quantity").isIntegralNumber()) {
          return prior;
        }
        next.sellerId = data.get("sellerId").asText();
        next.category = data.get("category").asText();
        next.priceCents = data.get("priceCents").asLong();
        next.currency = data.path("currency").asText("");
        next.quantity = data.get("quantity").asLong();
        next.active = "active".equals(data.path("status").asText());
        next.deleted = false;
      }
      case "product.deleted" -> {
        if (!data.hasNonNull("sellerId")) return prior;
        next.sellerId = data.get("sellerId").asText();
        next.category = data.hasNonNull("category") ? data.get("category").asText()
            : (prior.category == null ? "" : prior.category);
        next.priceCents = prior.priceCents;
        next.currency = prior.currency;
        next.quantity = prior.quantity;
        next.active = prior.active;
        next.deleted = true;
      }
      default -> {
        return prior;
      }
    }
    return next;
  }

  private static BigInteger value(Product p) {
    return BigInteger.valueOf(p.priceCents).multiply(BigInteger.valueOf(p.quantity));
  }

  /**
   * Adds (sign 1) or removes (sign -1) a product's money in its currency: the count, and each
   * amount of `amounts` (map, amount) pairs; a currency whose count reaches 0 leaves every map.
   */
  private static void addMoney(TreeMap<String, Long> counts, String currency, int sign, Object... amounts) {
    long count = counts.getOrDefault(currency, 0L) + sign;
    for (int i = 0; i < amounts.length; i += 2) {
      @SuppressWarnings("unchecked")
      TreeMap<String, BigInteger> map = (TreeMap<String, BigInteger>) amounts[i];
      BigInteger amount = ((BigInteger) amounts[i + 1]).multiply(BigInteger.valueOf(sign));
      if (count == 0) map.remove(currency);
      else map.put(currency, map.getOrDefault(currency, BigInteger.ZERO).add(amount));
    }
    if (count == 0) counts.remove(currency);
    else counts.put(currency, count);
  }

  static Seller addSeller(Product p, Seller s, int sign, long lowStockThreshold) {
    s.totalProducts += sign;
    if (p.deleted) {
      s.deletedProducts += sign;
    } else {
      if (p.active) s.activeProducts += sign;
      addMoney(s.pricedCount, p.currency, sign, s.totalValue, value(p));
      if (p.quantity < lowStockThreshold) s.lowStockCount += sign;
    }
    return s;
  }

  static Category addCategory(Product p, Category c, int sign) {
    c.productCount += sign;
    addMoney(c.pricedCount, p.currency, sign, c.totalValue, value(p), c.priceSum, BigInteger.valueOf(p.priceCents));
    return c;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 8) {
      System.err.println("usage: KStreamsReference bootstrap appId created updated deleted sellerOut categoryOut stateDir"
          + " [threads [commitIntervalMs [cacheMaxBytes [rocksdb|in-memory]]]]");
      System.exit(2);
    }
    final long threshold = 10;
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[7]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.length > 8 ? Integer.parseInt(args[8]) : 1);
    if (args.length > 9) props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(args[9]));
    if (args.length > 10) props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.parseLong(args[10]));
    // The stores of every DSL operator: RocksDB (the default) or in memory (restored from the
    // changelog on start; no disk I/O on the way).
    if (args.length > 11 && args[11].equals("in-memory")) {
      props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
    } else if (args.length > 11 && !args[11].equals("rocksdb")) {
      System.err.println("store must be rocksdb or in-memory, got " + args[11]);
      System.exit(2);
    }
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    Serde<Product> productSerde = jsonSerde(Product.class);
    Serde<Seller> sellerSerde = jsonSerde(Seller.class);
    Serde<Category> categorySerde = jsonSerde(Category.class);
    Consumed<String, byte[]> consumed = Consumed.with(Serdes.String(), Serdes.ByteArray());

    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, byte[]> events = builder.stream(args[2], consumed)
        .merge(builder.stream(args[3], consumed))
        .merge(builder.stream(args[4], consumed));
    KTable<String, Product> products = events
        .filter((key, value) -> key != null && value != null)
        .groupByKey(Grouped.with(Serdes.String(), Serdes.ByteArray()))
        .aggregate(Product::new, (key, raw, prior) -> apply(key, raw, prior),
            Materialized.with(Serdes.String(), productSerde));

    KTable<String, Seller> sellers = products
        .groupBy((id, p) -> KeyValue.pair(p.version == 0 ? null : p.sellerId, p),
            Grouped.with(Serdes.String(), productSerde))
        .aggregate(Seller::new,
            (seller, p, agg) -> addSeller(p, agg, 1, threshold),
            (seller, p, agg) -> addSeller(p, agg, -1, threshold),
            Materialized.with(Serdes.String(), sellerSerde));
    KTable<String, Category> categories = products
        .groupBy((id, p) -> KeyValue.pair(p.version == 0 || p.deleted ? null : p.category, p),
            Grouped.with(Serdes.String(), productSerde))
        .aggregate(Category::new,
            (category, p, agg) -> addCategory(p, agg, 1),
            (category, p, agg) -> addCategory(p, agg, -1),
            Materialized.with(Serdes.String(), categorySerde));

    sellers.toStream().to(args[5], Produced.with(Serdes.String(), sellerSerde));
    categories.toStream().to(args[6], Produced.with(Serdes.String(), categorySerde));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      done.countDown();
    }));
    streams.setStateListener((now, before) -> {
      ObjectNode line = JSON.createObjectNode().put("state", now.name());
      System.out.println(line);
    });
    streams.start();
    done.await();
  }
}
