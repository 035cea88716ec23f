package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_CLAIM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@DisplayName("The dispatcher's claim on an empty queue")
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DispatchClaimTest {

  @Test
  @DisplayName("says nothing is due, so an idle dispatcher waits for a wake-up or its poll instead of reading again at once")
  void emptyQueueHasNoNextDue(Vertx vertx, VertxTestContext test) {
    String url = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(url));
    vertx.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(url), 2))
        .compose(id -> vertx.eventBus().<JsonObject>request(DISPATCH_CLAIM,
            new JsonObject().put("server", "default").put("limit", 1).put("epoch", 1)))
        .map(Message::body)
        .onComplete(test.succeeding(claimed -> test.verify(() -> {
          assertThat(claimed.getJsonArray("items")).isEmpty();
          assertThat(claimed.getValue("next_due_ms")).isNull();
          test.completeNow();
        })));
  }
}
