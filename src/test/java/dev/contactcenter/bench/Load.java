package dev.contactcenter.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The load generator: closed loop (N requests in flight, each sent when the previous one answered) or open loop
 * (a fixed rate), over keep-alive HTTP/1.1 connections of one Vert.x client. Latency is measured from just before
 * the request is written to the last byte of the answer, in microseconds.
 */
final class Load implements AutoCloseable {

  /** One request: what to send, and what to do with the answer (status and body) once it is in. */
  record Request(HttpMethod method, String uri, String authorization, String contentType, Buffer body,
      Consumer<Answer> onAnswer) {

    static Request get(String uri, String authorization) {
      return new Request(HttpMethod.GET, uri, authorization, null, null, null);
    }
  }

  record Answer(int status, Buffer body) {
  }

  /** What one run measured. */
  record Result(long ok, long failed, double seconds, Samples latencyMicros) {

    double perSecond() {
      return ok / seconds;
    }

    double p50Ms() {
      return latencyMicros.percentile(50) / 1000.0;
    }

    double p99Ms() {
      return latencyMicros.percentile(99) / 1000.0;
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final String host;
  private final int port;

  Load(String host, int port, int maxConnections) {
    this.vertx = Vertx.vertx();
    this.host = host;
    this.port = port;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setDefaultHost(host)
        .setDefaultPort(port).setConnectTimeout(5000), new PoolOptions().setHttp1MaxSize(maxConnections)
        .setMaxWaitQueueSize(-1));
  }

  /** {@code concurrency} requests in flight for {@code millis}; answers counted ok when {@code 2xx}. */
  Result closedLoop(int concurrency, long millis, Supplier<Request> next) {
    return closedLoop(concurrency, millis, Long.MAX_VALUE, next);
  }

  /** As above, but stops after {@code limit} requests if that comes first. */
  Result closedLoop(int concurrency, long millis, long limit, Supplier<Request> next) {
    Run run = new Run(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis));
    run.limit = limit;
    vertx.runOnContext(v -> {
      for (int i = 0; i < concurrency; i++) {
        run.active++;
        loop(run, next);
      }
    });
    return run.await();
  }

  /** Sends {@code rate} requests a second for {@code millis}, whatever the answers, then waits for all of them. */
  Result openLoop(double rate, long millis, Supplier<Request> next) {
    long start = System.nanoTime();
    Run run = new Run(start + TimeUnit.MILLISECONDS.toNanos(millis));
    long total = Math.round(rate * millis / 1000.0);
    vertx.runOnContext(v -> {
      run.active++; // the pacer itself
      long[] sent = {0};
      vertx.setPeriodic(1, 5, id -> {
        long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * rate));
        while (sent[0] < due) {
          sent[0]++;
          run.active++;
          send(run, next.get(), () -> run.done());
        }
        if (sent[0] >= total) {
          vertx.cancelTimer(id);
          run.done();
        }
      });
    });
    return run.await();
  }

  private void loop(Run run, Supplier<Request> next) {
    if (System.nanoTime() >= run.endNanos || run.issued >= run.limit) {
      run.done();
      return;
    }
    run.issued++;
    send(run, next.get(), () -> loop(run, next));
  }

  private void send(Run run, Request request, Runnable then) {
    long sent = System.nanoTime();
    RequestOptions options = new RequestOptions().setMethod(request.method()).setURI(request.uri())
        .setHost(host).setPort(port);
    if (request.authorization() != null) {
      options.putHeader("Authorization", request.authorization());
    }
    if (request.contentType() != null) {
      options.putHeader("Content-Type", request.contentType());
    }
    client.request(options)
        .compose(req -> request.body() == null ? req.send() : req.send(request.body()))
        .compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(), body)))
        .onComplete(done -> {
          long micros = (System.nanoTime() - sent) / 1000;
          if (done.succeeded() && done.result().status() / 100 == 2) {
            run.ok++;
            run.latency.add(micros);
          } else {
            run.failed++;
            if (run.failed <= 3) {
              System.err.println("bench: request " + request.method() + " " + request.uri() + " failed: "
                  + (done.succeeded() ? done.result().status() + " " + done.result().body() : done.cause()));
            }
          }
          if (request.onAnswer() != null && done.succeeded()) {
            request.onAnswer().accept(done.result());
          }
          then.run();
        });
  }

  /** State of one run, confined to the generator's event loop. */
  private static final class Run {
    final long startNanos = System.nanoTime();
    final long endNanos;
    final Samples latency = new Samples();
    final CompletableFuture<Result> finished = new CompletableFuture<>();
    long ok;
    long failed;
    long issued;
    long limit = Long.MAX_VALUE;
    int active;

    Run(long endNanos) {
      this.endNanos = endNanos;
    }

    void done() {
      if (--active == 0) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        finished.complete(new Result(ok, failed, seconds, latency));
      }
    }

    Result await() {
      try {
        return finished.get(10, TimeUnit.MINUTES);
      } catch (Exception e) {
        throw new IllegalStateException("load run did not finish", e);
      }
    }
  }

  Vertx vertx() {
    return vertx;
  }

  Future<Void> closeAsync() {
    return client.close().compose(v -> vertx.close());
  }

  @Override
  public void close() {
    try {
      closeAsync().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Best effort at the end of a run.
    }
  }
}
