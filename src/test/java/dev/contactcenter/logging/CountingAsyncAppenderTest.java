package dev.contactcenter.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.MDC;

@DisplayName("Async log appender: every line written in order off the logging thread; a full queue drops and counts")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CountingAsyncAppenderTest {

  /** Records what it is given, on which thread; waits on {@code gate} first while one is set. */
  private static final class Recorder extends AppenderBase<ILoggingEvent> {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    volatile CountDownLatch gate;

    @Override
    protected void append(ILoggingEvent event) {
      CountDownLatch waitFor = gate;
      if (waitFor != null) {
        try {
          waitFor.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      lines.add(event.getFormattedMessage() + " " + event.getMDCPropertyMap().getOrDefault("request_id", "-"));
      threads.add(Thread.currentThread().getName());
    }
  }

  private final LoggerContext context = new LoggerContext();

  {
    // As the LoggerContext slf4j builds has: events read the MDC through it.
    context.setMDCAdapter(MDC.getMDCAdapter());
  }

  private CountingAsyncAppender started(Recorder recorder, int queueSize) {
    recorder.setContext(context);
    recorder.start();
    CountingAsyncAppender appender = new CountingAsyncAppender();
    appender.setContext(context);
    appender.setName("test");
    appender.setQueueSize(queueSize);
    appender.addAppender(recorder);
    appender.start();
    return appender;
  }

  private LoggingEvent event(String message, Object argument) {
    return new LoggingEvent("test", context.getLogger("access"), Level.INFO, message, null, new Object[] {argument});
  }

  @Test
  @DisplayName("10,000 lines from 4 threads: all written, each thread's in order, with the MDC of the moment it logged")
  void everyLineInOrder() throws Exception {
    Recorder recorder = new Recorder();
    CountingAsyncAppender appender = started(recorder, 16_384);
    long droppedBefore = CountingAsyncAppender.dropped();
    Thread[] loggers = IntStream.range(0, 4).mapToObj(t -> new Thread(() -> {
      for (int i = 0; i < 2_500; i++) {
        MDC.put("request_id", "r" + t + "-" + i);
        appender.doAppend(event("line {}", t + ":" + i));
      }
      MDC.remove("request_id");
    })).toArray(Thread[]::new);
    for (Thread logger : loggers) {
      logger.start();
    }
    for (Thread logger : loggers) {
      logger.join();
    }
    appender.stop();

    assertThat(recorder.lines).hasSize(10_000);
    for (int t = 0; t < 4; t++) {
      String prefix = "line " + t + ":";
      List<String> own = recorder.lines.stream().filter(line -> line.startsWith(prefix)).toList();
      int thread = t;
      assertThat(own).containsExactlyElementsOf(IntStream.range(0, 2_500)
          .mapToObj(i -> prefix + i + " r" + thread + "-" + i).toList());
    }
    assertThat(recorder.threads).allMatch(name -> name.equals("log-writer-test"));
    assertThat(CountingAsyncAppender.dropped()).isEqualTo(droppedBefore);
  }

  @Test
  @DisplayName("a line logged to an idle appender is written within its longest pause")
  void idleLineWrittenSoon() throws Exception {
    Recorder recorder = new Recorder();
    CountingAsyncAppender appender = started(recorder, 16);
    Thread.sleep(3 * CountingAsyncAppender.IDLE_PAUSE_MS);
    long logged = System.nanoTime();
    appender.doAppend(event("late {}", 1));
    while (recorder.lines.isEmpty()) {
      Thread.sleep(1);
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - logged);
    appender.stop();

    assertThat(recorder.lines).containsExactly("late 1 -");
    // The pause bounds the delay; the margin is for a loaded test machine's scheduling, not the design.
    assertThat(tookMs).isLessThan(CountingAsyncAppender.IDLE_PAUSE_MS + 1_000);
  }

  @Test
  @DisplayName("with the writer stuck and the queue full, logging never waits: the excess is dropped and counted")
  void fullQueueDropsAndCounts() throws Exception {
    Recorder recorder = new Recorder();
    recorder.gate = new CountDownLatch(1);
    CountingAsyncAppender appender = started(recorder, 4);
    long droppedBefore = CountingAsyncAppender.dropped();
    appender.doAppend(event("first {}", 0));
    // The writer takes the first line and stops in the stuck console; then the queue holds 4.
    while (recorder.gate.getCount() > 0 && appender.queued() > 0) {
      Thread.sleep(1);
    }
    long started = System.nanoTime();
    for (int i = 1; i <= 10; i++) {
      appender.doAppend(event("line {}", i));
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    recorder.gate.countDown();
    appender.stop();

    assertThat(tookMs).as("logging waited for the stuck console").isLessThan(1_000);
    assertThat(CountingAsyncAppender.dropped() - droppedBefore).isEqualTo(6);
    assertThat(recorder.lines).containsExactly("first 0 -", "line 1 -", "line 2 -", "line 3 -", "line 4 -");
  }
}
