package mediawatch;

import static org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner.newConfigs;

import java.util.concurrent.CountDownLatch;
import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

/**
 * Starts a real single-node Elasticsearch 7.10.2 on 127.0.0.1 for tests and the demo.
 *
 * <p>Usage: {@code LocalElasticsearch PORT DATA_DIR [--exit-on-stdin-eof]}. Prints
 * {@code READY http://127.0.0.1:PORT} once the cluster is yellow or green, then runs until
 * SIGTERM/Ctrl-C, when a shutdown hook closes the node so its data dir is left consistent.
 * With {@code --exit-on-stdin-eof} it also stops when its parent closes stdin (or dies), so a
 * killed test run never leaves an orphan JVM behind. Heap size comes from the JVM flags.
 */
public final class LocalElasticsearch {
  private LocalElasticsearch() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: LocalElasticsearch PORT DATA_DIR [--exit-on-stdin-eof]");
      System.exit(2);
    }
    final int port = Integer.parseInt(args[0]);
    final String dataDir = args[1];
    final ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
    final CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.close();
      } catch (Exception e) {
        System.err.println("error while stopping Elasticsearch: " + e);
      } finally {
        stopped.countDown();
      }
    }, "local-es-shutdown"));
    runner.onBuild((number, settings) -> {
      settings.put("http.port", port);
      settings.put("network.host", "127.0.0.1");
      settings.put("discovery.type", "single-node");
      // A dev node must not go read-only because the developer's disk is 90 % full.
      settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
    }).build(newConfigs().basePath(dataDir).numOfNode(1).clusterName("mediawatch-local"));
    runner.ensureYellow();
    if (args.length == 3 && args[2].equals("--exit-on-stdin-eof")) {
      watchStdin();
    }
    System.out.println("READY http://127.0.0.1:" + port);
    System.out.flush();
    stopped.await();
  }

  /** Exits (running the shutdown hook) once stdin reaches end of file. */
  private static void watchStdin() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // discard: stdin only signals that the parent is alive
        }
      } catch (java.io.IOException e) {
        // a broken pipe means the parent is gone, same as end of file
      }
      System.exit(0);
    }, "local-es-stdin-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}
