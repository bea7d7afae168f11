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
 * retractions, written to upsert-kafka topics, with exactly-once checkpoints. Runs Flink in local
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
            + " `data` ROW<`sellerId` STRING, `category` STRING, `priceCents` BIGINT, `quantity` BIGINT, `status` STRING>"
            + ") WITH ('connector' = 'kafka', " + kafka
            + ", 'topic' = " + quote(String.join(";", inputTopics))
            + ", 'properties.group.id' = " + quote(groupId)
            + ", 'properties.isolation.level' = 'read_committed'"
            + ", 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset'"
            + ", 'key.format' = 'raw', 'key.fields' = 'record_key', 'value.fields-include' = 'EXCEPT_KEY'"
            + ", 'value.format' = 'json', 'value.json.ignore-parse-errors' = 'true'"
            + ", 'value.json.fail-on-missing-field' = 'false')",
        "CREATE TABLE seller_metrics ("
            + " `sellerId` STRING, `totalProducts` BIGINT, `activeProducts` BIGINT, `deletedProducts` BIGINT,"
            + " `totalValueCents` STRING, `lowStockCount` BIGINT, PRIMARY KEY (`sellerId`) NOT ENFORCED"
            + ") WITH ('connector' = 'upsert-kafka', 'topic' = " + quote(sellerOut) + ", " + sink
            + ", 'sink.transactional-id-prefix' = " + quote(transactionalIdPrefix + "-sellers") + ")",
        "CREATE TABLE category_metrics ("
            + " `category` STRING, `productCount` BIGINT, `totalValueCents` STRING, `priceSumCents` STRING,"
            + " PRIMARY KEY (`category`) NOT ENFORCED"
            + ") WITH ('connector' = 'upsert-kafka', 'topic' = " + quote(categoryOut) + ", " + sink
            + ", 'sink.transactional-id-prefix' = " + quote(transactionalIdPrefix + "-categories") + ")",
        // Valid events only (a subset of parseProductEvent's checks: what the aggregates read).
        // Invalid events are dropped before the deduplication, so they never replace a state.
        "CREATE TEMPORARY VIEW valid_events AS SELECT"
            + " `productId`, `version`, `type` = 'product.deleted' AS deleted,"
            + " `data`.`sellerId` AS sellerId, `data`.`category` AS category,"
            + " `data`.`priceCents` AS priceCents, `data`.`quantity` AS quantity,"
            + " COALESCE(`data`.`status` = 'active', FALSE) AS active"
            + " FROM product_events"
            + " WHERE record_key = `productId` AND `schemaVersion` = 1 AND `version` >= 1"
            + " AND `data`.`sellerId` IS NOT NULL"
            + " AND (`type` = 'product.deleted' OR (`type` IN ('product.created', 'product.updated')"
            + " AND `data`.`category` IS NOT NULL AND `data`.`priceCents` IS NOT NULL"
            + " AND `data`.`quantity` IS NOT NULL))",
        // Top-1 per product by version: a later event with a lower or equal version never wins
        // (stale, duplicate); an update before its create wins when its version is higher; a
        // delete is a row like any other (deleted = TRUE), and a higher version after it wins.
        "CREATE TEMPORARY VIEW latest_products AS SELECT"
            + " `productId`, sellerId, category, priceCents, quantity, active, deleted FROM ("
            + " SELECT *, ROW_NUMBER() OVER (PARTITION BY `productId` ORDER BY `version` DESC) AS rn"
            + " FROM valid_events) WHERE rn = 1",
        // Deleted products count in totalProducts and deletedProducts only.
        "INSERT INTO seller_metrics SELECT sellerId,"
            + " COUNT(*),"
            + " SUM(CAST(CASE WHEN NOT deleted AND active THEN 1 ELSE 0 END AS BIGINT)),"
            + " SUM(CAST(CASE WHEN deleted THEN 1 ELSE 0 END AS BIGINT)),"
            + " CAST(SUM(CASE WHEN deleted THEN CAST(0 AS DECIMAL(38, 0))"
            + " ELSE CAST(priceCents AS DECIMAL(38, 0)) * quantity END) AS STRING),"
            + " SUM(CAST(CASE WHEN NOT deleted AND quantity < " + LOW_STOCK_THRESHOLD
            + " THEN 1 ELSE 0 END AS BIGINT))"
            + " FROM latest_products GROUP BY sellerId",
        // Deleted products leave their category.
        "INSERT INTO category_metrics SELECT category,"
            + " COUNT(*),"
            + " CAST(SUM(CAST(priceCents AS DECIMAL(38, 0)) * quantity) AS STRING),"
            + " CAST(SUM(CAST(priceCents AS DECIMAL(38, 0))) AS STRING)"
            + " FROM latest_products WHERE NOT deleted GROUP BY category");
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
