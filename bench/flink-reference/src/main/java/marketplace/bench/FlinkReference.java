package marketplace.bench;

import java.util.List;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * Flink SQL reference for the benchmark (figure 8): the latest state of every product by its
 * per-product version (top-1 deduplication), then seller and category aggregates with
 * retractions, money per ISO 4217 currency (a first aggregate per entity and currency, a second per
 * entity that folds the currencies into maps), written to upsert-kafka topics, with exactly-once checkpoints. Runs Flink in local
 * mode in this JVM. The source is bounded at the input's end offsets taken when the job starts, so
 * the job finishes after its final checkpoint has committed every output transaction.
 *
 * <p>Prints one JSON line per milestone on stdout: {@code {"state":"RUNNING"}} when the job runs,
 * {@code {"state":"FINISHED"}} when it has finished (output committed), {@code {"state":"FAILED"}}
 * with a message otherwise.
 *
 * <p>Arguments: bootstrapServers groupId createdTopic updatedTopic deletedTopic sellerOutTopic
 * categoryOutTopic parallelism checkpointIntervalMs transactionalIdPrefix.
 */
public final class FlinkReference {
  /** Products with a quantity below this count as low stock (LOW_STOCK_THRESHOLD of the aggregator). */
  static final int LOW_STOCK_THRESHOLD = 10;

  private FlinkReference() {}

  private static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  /** The SQL statements of the job, in order: DDL, views, then the two INSERTs. */
  static List<String> statements(
      String brokers,
      String groupId,
      List<String> inputTopics,
      String sellerOut,
      String categoryOut,
      String transactionalIdPrefix) {
    String kafka = "'properties.bootstrap.servers' = " + quote(brokers);
    String sink = kafka
        + ", 'key.format' = 'raw', 'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY'"
        + ", 'sink.delivery-guarantee' = 'exactly-once'"
        // The broker caps transactions at 15 minutes (transaction.max.timeout.ms); Flink's default is 1 h.
        + ", 'properties.transaction.timeout.ms' = '600000'";
    return List.of(
        // The three input topics as one table; the record key (the productId) as a column.
        "CREATE TABLE product_events ("
            + " record_key STRING,"
            + " `productId` STRING,"
            + " `type` STRING,"
            + " `schemaVersion` INT,"
            + " `version` BIGINT,"
            + " `data` ROW<`sellerId` STRING, `category` STRING, `priceCents` BIGINT, `currency` STRING, `quantity` BIGINT, `status` STRING>"
            + ") WITH ('connector' = 'kafka', " + kafka
            + ", 'topic' = " + quote(String.join(";", inputTopics))
            + ", 'properties.group.id' = " + quote(groupId)
            + ", 'properties.isolation.level' = 'read_committed'"
            + ", 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset'"
            + ", 'key.format' = 'raw', 'key.fields' = 'record_key', 'value.fields-include' = 'EXCEPT_KEY'"
            + ", 'value.format' = 'json', 'value.json.ignore-parse-errors' = 'true'"
            + ", 'value.json.fail-on-missing-field' = 'false')",
        // Money per ISO 4217 currency as JSON objects from currency code to a decimal string
        // (counts per currency as decimal strings too): MAP<STRING, STRING> in the json format.
        "CREATE TABLE seller_metrics ("
            + " `sellerId` STRING, `totalProducts` BIGINT, `activeProducts` BIGINT, `deletedProducts` BIGINT,"
            + " `totalValue` MAP<STRING, STRING>, `lowStockCount` BIGINT, PRIMARY KEY (`sellerId`) NOT ENFORCED"
            + ") WITH ('connector' = 'upsert-kafka', 'topic' = " + quote(sellerOut) + ", " + sink
            + ", 'sink.transactional-id-prefix' = " + quote(transactionalIdPrefix + "-sellers") + ")",
        "CREATE TABLE category_metrics ("
            + " `category` STRING, `productCount` BIGINT, `pricedCount` MAP<STRING, STRING>,"
            + " `totalValue` MAP<STRING, STRING>, `priceSum` MAP<STRING, STRING>,"
            + " PRIMARY KEY (`category`) NOT ENFORCED"
            + ") WITH ('connector' = 'upsert-kafka', 'topic' = " + quote(categoryOut) + ", " + sink
            + ", 'sink.transactional-id-prefix' = " + quote(transactionalIdPrefix + "-categories") + ")",
        // Valid events only (a subset of parseProductEvent's checks: what the aggregates read).
        // Invalid events are dropped before the deduplication, so they never replace a state.
        // A deleted product carries no value, so its row has no currency (NULL).
        "CREATE TEMPORARY VIEW valid_events AS SELECT"
            + " `productId`, `version`, `type` = 'product.deleted' AS deleted,"
            + " `data`.`sellerId` AS sellerId, `data`.`category` AS category,"
            + " `data`.`priceCents` AS priceCents, `data`.`quantity` AS quantity,"
            + " CASE WHEN `type` = 'product.deleted' THEN CAST(NULL AS STRING) ELSE `data`.`currency` END AS currency,"
            + " COALESCE(`data`.`status` = 'active', FALSE) AS active"
            + " FROM product_events"
            + " WHERE record_key = `productId` AND `schemaVersion` = 1 AND `version` >= 1"
            + " AND `data`.`sellerId` IS NOT NULL"
            + " AND (`type` = 'product.deleted' OR (`type` IN ('product.created', 'product.updated')"
            + " AND `data`.`category` IS NOT NULL AND `data`.`priceCents` IS NOT NULL"
            + " AND `data`.`quantity` IS NOT NULL AND REGEXP(`data`.`currency`, '^[A-Z]{3}$')))",
        // Top-1 per product by version: a later event with a lower or equal version never wins
        // (stale, duplicate); an update before its create wins when its version is higher; a
        // delete is a row like any other (deleted = TRUE), and a higher version after it wins.
        "CREATE TEMPORARY VIEW latest_products AS SELECT"
            + " `productId`, sellerId, category, priceCents, currency, quantity, active, deleted FROM ("
            + " SELECT *, ROW_NUMBER() OVER (PARTITION BY `productId` ORDER BY `version` DESC) AS rn"
            + " FROM valid_events) WHERE rn = 1",
        // First level: per (seller, currency), with retractions. Deleted products form the group
        // of currency NULL (no value); a group of a currency exists exactly while a product not
        // deleted priced in it does (Flink drops a group whose last row was retracted).
        "CREATE TEMPORARY VIEW seller_currency_metrics AS SELECT sellerId, currency,"
            + " COUNT(*) AS totalProducts,"
            + " SUM(CAST(CASE WHEN NOT deleted AND active THEN 1 ELSE 0 END AS BIGINT)) AS activeProducts,"
            + " SUM(CAST(CASE WHEN deleted THEN 1 ELSE 0 END AS BIGINT)) AS deletedProducts,"
            + " SUM(CASE WHEN deleted THEN CAST(0 AS DECIMAL(38, 0))"
            + " ELSE CAST(priceCents AS DECIMAL(38, 0)) * quantity END) AS totalValue,"
            + " SUM(CAST(CASE WHEN NOT deleted AND quantity < " + LOW_STOCK_THRESHOLD
            + " THEN 1 ELSE 0 END AS BIGINT)) AS lowStockCount"
            + " FROM latest_products GROUP BY sellerId, currency",
        // Second level: per seller, counts summed over its currencies, money as a map built from
        // 'CODE=amount' entries (LISTAGG retracts an entry when its (seller, currency) row changes
        // or leaves). Deleted products count in totalProducts and deletedProducts only.
        "INSERT INTO seller_metrics SELECT sellerId,"
            + " SUM(totalProducts), SUM(activeProducts), SUM(deletedProducts),"
            + " " + moneyMap("totalValue") + ","
            + " SUM(lowStockCount)"
            + " FROM seller_currency_metrics GROUP BY sellerId",
        // Deleted products leave their category; every product not deleted is priced in one currency.
        "CREATE TEMPORARY VIEW category_currency_metrics AS SELECT category, currency,"
            + " COUNT(*) AS pricedCount,"
            + " SUM(CAST(priceCents AS DECIMAL(38, 0)) * quantity) AS totalValue,"
            + " SUM(CAST(priceCents AS DECIMAL(38, 0))) AS priceSum"
            + " FROM latest_products WHERE NOT deleted GROUP BY category, currency",
        "INSERT INTO category_metrics SELECT category,"
            + " SUM(pricedCount), " + moneyMap("pricedCount") + ", " + moneyMap("totalValue") + ", "
            + moneyMap("priceSum")
            + " FROM category_currency_metrics GROUP BY category");
  }

  /**
   * A per-currency map column from the rows of a (entity, currency) aggregate: {@code LISTAGG} of
   * {@code CODE=amount} entries (rows without a currency, i.e. deleted products, give NULL, which
   * LISTAGG skips), read back with {@code STR_TO_MAP}. Codes are three upper-case letters and
   * amounts decimal integers, so neither delimiter can occur inside an entry. NULL (no currency)
   * reads as an empty map.
   */
  static String moneyMap(String column) {
    return "STR_TO_MAP(LISTAGG(CASE WHEN currency IS NOT NULL THEN currency || '=' || CAST(`" + column
        + "` AS STRING) END, ','), ',', '=')";
  }

  private static void say(String state, String detail) {
    String line = "{\"state\":\"" + state + "\"" + (detail == null ? "" : ",\"detail\":\""
        + detail.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"") + "}";
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 10) {
      System.err.println("usage: FlinkReference bootstrap groupId created updated deleted sellerOut categoryOut"
          + " parallelism checkpointMs transactionalIdPrefix");
      System.exit(2);
    }
    int parallelism = Integer.parseInt(args[7]);
    long checkpointMs = Long.parseLong(args[8]);

    Configuration conf = new Configuration();
    conf.setString("parallelism.default", String.valueOf(parallelism));
    conf.setString("execution.checkpointing.interval", checkpointMs + " ms");
    conf.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
    conf.setString("state.backend.type", "hashmap");
    conf.setString("pipeline.object-reuse", "true");
    // Mini-batches: the aggregates fold many changes of a key before emitting (Flink's tuning guide).
    conf.setString("table.exec.mini-batch.enabled", "true");
    conf.setString("table.exec.mini-batch.allow-latency", "200 ms");
    conf.setString("table.exec.mini-batch.size", "5000");
    conf.setString("rest.bind-address", "127.0.0.1");
    conf.setString("rest.address", "127.0.0.1");
    conf.setString("jobmanager.bind-host", "127.0.0.1");
    conf.setString("taskmanager.bind-host", "127.0.0.1");
    conf.setString("taskmanager.host", "127.0.0.1");

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    StreamTableEnvironment tables = StreamTableEnvironment.create(env);
    List<String> sql = statements(args[0], args[1], List.of(args[2], args[3], args[4]), args[5], args[6], args[9]);
    StatementSet inserts = tables.createStatementSet();
    for (String statement : sql) {
      if (statement.startsWith("INSERT")) inserts.addInsertSql(statement);
      else tables.executeSql(statement);
    }
    try {
      TableResult result = inserts.execute();
      JobClient job = result.getJobClient().orElseThrow();
      for (JobStatus status = job.getJobStatus().get(); status != JobStatus.RUNNING && !status.isTerminalState();
          status = job.getJobStatus().get()) {
        Thread.sleep(20);
      }
      say("RUNNING", null);
      // Completes when the job finished (after its final checkpoint), fails when the job failed.
      job.getJobExecutionResult().get();
      say("FINISHED", null);
    } catch (Exception e) {
      say("FAILED", e.toString() + (e.getCause() == null ? "" : " caused by " + e.getCause()));
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }
}
