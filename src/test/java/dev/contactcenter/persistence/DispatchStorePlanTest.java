package dev.contactcenter.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The queue's periodic reads use the partial indexes of calls not ended, never a scan of every call")
class DispatchStorePlanTest {

  @Test
  void statsAndRequeueReadOnlyCallsNotEnded() {
    String db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    // The figures every 2 s and the orphan requeue at each start: a sequential scan here reads every finished call,
    // seconds at ten million rows.
    assertThat(TestDatabase.explain(db, DispatchStore.STATS)).doesNotContain("Seq Scan on calls");
    String requeue = DispatchStore.REQUEUE.replace("$1", "'default'").replace("$2", "1000");
    assertThat(TestDatabase.explain(db, requeue)).doesNotContain("Seq Scan on calls");
  }
}
