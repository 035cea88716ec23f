package dev.contactcenter.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Every SQL statement of the persistence package fits the pool's prepared-statement cache")
class PreparedStatementCacheTest {

  private static final List<Class<?>> STATEMENT_HOLDERS = List.of(TransitionStatements.class, CallRepository.class,
      CreationStatements.class,
      DispatchStore.class, UserRepository.class, WebhookRepository.class, WebhookStore.class,
      WebhookLogRepository.class, RateWindowStore.class, Rows.class);

  @Test
  @DisplayName("no statement is as long as the cache's SQL limit: a longer one would be parsed and planned at every execution")
  void everyStatementIsCached() throws IllegalAccessException {
    List<String> checked = new ArrayList<>();
    for (Class<?> holder : STATEMENT_HOLDERS) {
      for (Field field : holder.getDeclaredFields()) {
        if (field.getType() == String.class && Modifier.isStatic(field.getModifiers())) {
          field.setAccessible(true);
          String sql = (String) field.get(null);
          if (sql != null) {
            checked.add(holder.getSimpleName() + "." + field.getName());
            assertThat(sql.length()).as(holder.getSimpleName() + "." + field.getName())
                .isLessThan(PersistenceVerticle.PREPARED_STATEMENT_CACHE_SQL_LIMIT);
          }
        }
      }
    }
    // The batch statement that outgrew the client's default limit (2,048 characters) is among them.
    assertThat(checked).contains("TransitionStatements.TRANSITION_BATCH", "CreationStatements.INSERT", "CreationStatements.INSERT_BATCH");
  }
}
