package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The calls API against the real service and its built-in ARI sandbox, where the last digit of the number
 * decides what the callee does. One service for the whole class; every test works as its own user, so call
 * lists do not see each other's calls.
 */
@DisplayName("The calls API, against the ARI sandbox")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CallsApiTest {

  private static final Duration CALL_ENDS = Duration.ofSeconds(15);
  private static final String PROBLEM_JSON = "application/problem+json";

  private TestApp app;
  private ApiClient api;
  private String admin;
  private int blockedMark;
  /**
   * The same service configured to dial Local channels, as the Asterisk traces were recorded: a Local channel
   * has a second half ({@code ;2}) whose events must not be taken for the call's.
   */
  private TestApp localApp;
  /** Calls placed in {@link #start()} for the per-digit outcome tests (by endpoint kind, then digit), so they all run at once. */
  private final Map<String, String> outcomeCalls = new ConcurrentHashMap<>();
  private final Map<String, ApiClient> outcomeApis = new ConcurrentHashMap<>();
  private final Map<String, String> outcomeUsers = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    app = TestApp.start();
    api = app.client();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    Map<String, String> localEnv = TestApp.defaultEnv();
    localEnv.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@callee/n");
    localApp = TestApp.start(localEnv);
    blockedMark = BlockedThreadRecorder.count();
    outcomeApis.put("PJSIP", api);
    outcomeApis.put("Local", localApp.client());
    for (Map.Entry<String, ApiClient> kind : outcomeApis.entrySet()) {
      ApiClient client = kind.getValue();
      String user = Calls.newUser(client, client.login("admin", TestApp.ADMIN_PASSWORD), "outcomes");
      outcomeUsers.put(kind.getKey(), user);
      for (int digit = 0; digit <= 6; digit++) {
        JsonObject body = new JsonObject().put("phone_number", "+1555000000" + digit);
        if (digit == 2) {
          body.put("timeout", 2000);
        }
        ApiClient.Response created = client.post("/api/v2/calls", user, body);
        assertThat(created.status()).as("create digit %s: %s", digit, created.body()).isEqualTo(201);
        outcomeCalls.put(kind.getKey() + digit, created.json().getString("call_id"));
      }
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (localApp != null) {
      localApp.close();
    }
    BlockedThreadRecorder.assertNoneSince(blockedMark);
  }

  private ApiClient.Response createCall(String token, JsonObject body) {
    return api.post("/api/v2/calls", token, body);
  }

  private String placeCall(String token, JsonObject body) {
    return Calls.place(api, token, body);
  }

  private String placeCall(String token, String number) {
    return placeCall(token, new JsonObject().put("phone_number", number));
  }

  private static void assertProblem(ApiClient.Response response, int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.header("Content-Type")).startsWith(PROBLEM_JSON);
    JsonObject problem = response.json();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("title")).isNotBlank();
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(problem.getString("request_id")).isNotBlank();
  }

  private List<JsonObject> items(ApiClient.Response page) {
    assertThat(page.status()).as(page.body()).isEqualTo(200);
    return page.json().getJsonArray("items").stream().map(JsonObject.class::cast).toList();
  }

  private List<String> listIds(String token, String query) {
    return items(api.get("/api/v2/calls" + query, token)).stream().map(c -> c.getString("call_id")).toList();
  }

  // ---- creating and reading ----

  @Test
  @DisplayName("POST /interaction/+1234567890 (literal '+') answers 200 with the seed's body, status dialing")
  void seedEndpoint() {
    String token = Calls.newUser(api, admin, "seed");
    ApiClient.Response created = api.post("/api/v2/interaction/+1234567890", token, null);

    assertThat(created.status()).as(created.body()).isEqualTo(200);
    assertThat(created.header("Content-Type")).startsWith("application/json");
    JsonObject body = created.json();
    assertThat(body.getBoolean("success")).isTrue();
    assertThat(UUID.fromString(body.getString("call_id"))).isNotNull();
    assertThat(body.getString("phone_number")).isEqualTo("+1234567890");
    assertThat(body.getString("message")).contains("SIMULATED");
    assertThat(body.getString("channel")).isNotBlank();
    assertThat(body.getString("status")).isEqualTo("dialing");
    assertThat(Instant.parse(body.getString("created_at"))).isBeforeOrEqualTo(Instant.now());
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("success", "call_id", "phone_number", "message",
        "channel", "status", "created_at");

    JsonObject call = Calls.get(api, token, body.getString("call_id"));
    assertThat(call.getString("phone_number")).isEqualTo("+1234567890");
    assertThat(call.getString("context")).isEqualTo("outbound-ivr");
    assertThat(call.getString("extension")).isEqualTo("s");
    assertThat(call.getInteger("priority")).isEqualTo(1);
  }

  @Test
  @DisplayName("POST /interaction/{number} also takes the '+' percent-encoded and options in the body")
  void seedEndpointEncodedPlusAndOptions() {
    String token = Calls.newUser(api, admin, "seed2");
    ApiClient.Response created = api.post("/api/v2/interaction/%2B1%20(555)%20000-0021", token,
        new JsonObject().put("context", "ivr-main").put("extension", "start").put("priority", 2));
    assertThat(created.status()).as(created.body()).isEqualTo(200);
    JsonObject call = Calls.get(api, token, created.json().getString("call_id"));
    assertThat(call.getString("phone_number")).isEqualTo("+15550000021");
    assertThat(call.getString("context")).isEqualTo("ivr-main");
    assertThat(call.getString("extension")).isEqualTo("start");
    assertThat(call.getInteger("priority")).isEqualTo(2);
  }

  @Test
  @DisplayName("POST /calls answers 201 with Location; GET /calls/{id} and GET /status/{id} give the same body")
  void createCallThenRead() {
    String token = Calls.newUser(api, admin, "create");
    ApiClient.Response created = createCall(token, new JsonObject().put("phone_number", "+1 555 000 0031")
        .put("caller_id", "\"Support\" <+15550100>").put("variables", new JsonObject().put("CUSTOMER_ID", "42")));

    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String callId = created.json().getString("call_id");
    assertThat(created.header("Location")).isEqualTo("/api/v2/calls/" + callId);
    assertThat(created.json().getString("status")).isEqualTo("dialing");
    assertThat(created.json().getString("phone_number")).isEqualTo("+15550000031");

    JsonObject ended = Calls.awaitFinal(api, token, callId, CALL_ENDS);
    ApiClient.Response byCalls = api.get("/api/v2/calls/" + callId, token);
    ApiClient.Response byStatus = api.get("/api/v2/status/" + callId, token);
    assertThat(byCalls.status()).isEqualTo(200);
    assertThat(byStatus.status()).isEqualTo(200);
    assertThat(byStatus.json()).isEqualTo(byCalls.json());
    assertThat(ended.getString("status")).isEqualTo("busy");
    assertThat(ended.getString("caller_id")).isEqualTo("\"Support\" <+15550100>");
    assertThat(ended.getString("owner")).startsWith("create-");
    assertThat(ended.getInteger("attempt_number")).isEqualTo(1);
    assertThat(ended.getInteger("timeout")).isEqualTo(30_000);
  }

  @Test
  @DisplayName("GET of a call id that does not exist answers 404 problem+json")
  void unknownCall() {
    assertProblem(api.get("/api/v2/calls/" + UUID.randomUUID(), admin), 404);
    assertProblem(api.get("/api/v2/status/" + UUID.randomUUID(), admin), 404);
    assertProblem(api.get("/api/v2/calls/" + UUID.randomUUID() + "/events", admin), 404);
    assertProblem(api.post("/api/v2/calls/" + UUID.randomUUID() + "/hangup", admin, null), 404);
  }

  // ---- outcome by last digit ----

  /**
   * Endpoint kind, digit, status, hangup cause, cause text, failure reason expected, duration range (null: none),
   * timeline.
   */
  static Stream<Arguments> outcomes() {
    return Stream.of("PJSIP", "Local").flatMap(kind -> outcomesByDigit().map(row -> {
      Object[] values = new Object[row.get().length + 1];
      values[0] = kind;
      System.arraycopy(row.get(), 0, values, 1, row.get().length);
      return Arguments.of(values);
    }));
  }

  private static Stream<Arguments> outcomesByDigit() {
    List<String> answered = List.of("pending→dialing", "dialing→ringing", "ringing→answered", "answered→completed");
    return Stream.of(
        Arguments.of(0, "completed", 16, "Normal Clearing", false, new int[] {1, 3}, answered),
        Arguments.of(1, "busy", 17, "User busy", false, null, List.of("pending→dialing", "dialing→busy")),
        Arguments.of(2, "no_answer", 19, "User alerting, no answer", false, null,
            List.of("pending→dialing", "dialing→ringing", "ringing→no_answer")),
        Arguments.of(3, "failed", 34, "Circuit/channel congestion", true, null,
            List.of("pending→dialing", "dialing→failed")),
        Arguments.of(4, "failed", 21, "Call Rejected", true, null, List.of("pending→dialing", "dialing→failed")),
        Arguments.of(5, "completed", 16, "Normal Clearing", false, new int[] {0, 2}, answered),
        Arguments.of(6, "failed", 1, "Unallocated (unassigned) number", true, null,
            List.of("pending→dialing", "dialing→failed")));
  }

  @ParameterizedTest(name = "{0} channel, last digit {1} → {2}")
  @MethodSource("outcomes")
  @DisplayName("a call ends in the state, cause, duration and timeline its last digit decides")
  void outcomeByLastDigit(String kind, int digit, String status, int cause, String causeText, boolean failureReason,
      int[] duration, List<String> timeline) {
    String callId = outcomeCalls.get(kind + digit);
    ApiClient api = outcomeApis.get(kind);
    String outcomeUser = outcomeUsers.get(kind);
    JsonObject call = Calls.awaitFinal(api, outcomeUser, callId, CALL_ENDS);

    assertThat(call.getString("status")).isEqualTo(status);
    assertThat(call.getBoolean("is_active")).isFalse();
    assertThat(call.getBoolean("is_completed")).isTrue();
    assertThat(call.getInteger("hangup_cause")).isEqualTo(cause);
    assertThat(call.getString("hangup_cause_text")).isEqualTo(causeText);
    if (failureReason) {
      assertThat(call.getString("failure_reason")).isNotBlank();
    } else {
      assertThat(call.getString("failure_reason")).isNull();
    }
    if (duration == null) {
      assertThat(call.getInteger("duration")).isNull();
      assertThat(call.getString("answered_at")).isNull();
    } else {
      assertThat(call.getInteger("duration")).isBetween(duration[0], duration[1]);
    }
    assertThat(call.getString("channel")).isEqualTo(callId);
    assertThat(call.getString("ended_at")).isNotNull();
    assertThat(Calls.timeline(api, outcomeUser, callId)).isEqualTo(timeline);
    assertTimesOrdered(call);
    assertTimelineMatchesCall(api, outcomeUser, callId, call);
  }

  /** dialed_at ≤ ringing_at ≤ answered_at ≤ ended_at, for those the call has; every state it passed has one. */
  private static void assertTimesOrdered(JsonObject call) {
    List<Instant> times = new ArrayList<>();
    for (String field : List.of("dialed_at", "ringing_at", "answered_at", "ended_at")) {
      String value = call.getString(field);
      if (value != null) {
        times.add(Instant.parse(value));
      }
    }
    assertThat(call.getString("dialed_at")).isNotNull();
    assertThat(times).as("dialed_at, ringing_at, answered_at, ended_at of %s", call.encode()).isSorted();
    Integer duration = call.getInteger("duration");
    if (duration != null) {
      long millis = Duration.between(Instant.parse(call.getString("answered_at")),
          Instant.parse(call.getString("ended_at"))).toMillis();
      assertThat(duration).as("whole seconds from answer to end").isEqualTo((int) (millis / 1000));
    }
  }

  /** Each timeline entry's time is the call's matching timestamp, and entries are in time order. */
  private static void assertTimelineMatchesCall(ApiClient api, String token, String callId, JsonObject call) {
    JsonArray events = api.get("/api/v2/calls/" + callId + "/events", token).json().getJsonArray("events");
    List<Instant> at = new ArrayList<>();
    for (Object o : events) {
      JsonObject event = (JsonObject) o;
      at.add(Instant.parse(event.getString("at")));
      assertThat(event.getString("source")).isIn("api", "ari", "reconciler", "sandbox");
      String field = switch (event.getString("to_status")) {
        case "dialing" -> "dialed_at";
        case "ringing" -> "ringing_at";
        case "answered" -> "answered_at";
        default -> "ended_at";
      };
      assertThat(Instant.parse(event.getString("at"))).as(field).isEqualTo(Instant.parse(call.getString(field)));
    }
    assertThat(at).isSorted();
  }

  // ---- hang-up ----

  @Test
  @DisplayName("a call hung up while ringing ends canceled; one hung up after answer ends completed")
  void hangup() {
    String token = Calls.newUser(api, admin, "hangup");
    String ringing = placeCall(token, new JsonObject().put("phone_number", "+15550000102").put("timeout", 30_000));
    String holding = placeCall(token, new JsonObject().put("phone_number", "+15550000100").put("extension", "hold"));

    Calls.awaitStatus(api, token, ringing, "ringing", CALL_ENDS);
    ApiClient.Response hungUp = api.post("/api/v2/calls/" + ringing + "/hangup", token, null);
    assertThat(hungUp.status()).as(hungUp.body()).isEqualTo(202);
    assertThat(hungUp.json().getString("call_id")).isEqualTo(ringing);

    Calls.awaitStatus(api, token, holding, "answered", CALL_ENDS);
    ApiClient.Response hungUpAnswered = api.post("/api/v2/calls/" + holding + "/hangup", token, null);
    assertThat(hungUpAnswered.status()).as(hungUpAnswered.body()).isEqualTo(202);

    JsonObject canceled = Calls.awaitFinal(api, token, ringing, CALL_ENDS);
    assertThat(canceled.getString("status")).isEqualTo("canceled");
    assertThat(canceled.getInteger("hangup_cause")).isEqualTo(16);
    assertThat(canceled.getInteger("duration")).isNull();
    assertThat(canceled.getString("failure_reason")).isNull();
    assertThat(Calls.timeline(api, token, ringing))
        .containsExactly("pending→dialing", "dialing→ringing", "ringing→canceled");

    JsonObject completed = Calls.awaitFinal(api, token, holding, CALL_ENDS);
    assertThat(completed.getString("status")).isEqualTo("completed");
    assertThat(completed.getInteger("hangup_cause")).isEqualTo(16);
    assertThat(completed.getInteger("duration")).isBetween(0, 2);
    assertThat(completed.getString("extension")).isEqualTo("hold");
    assertThat(Calls.timeline(api, token, holding))
        .containsExactly("pending→dialing", "dialing→ringing", "ringing→answered", "answered→completed");
  }

  @Test
  @DisplayName("hanging up a call that already ended answers 409 problem+json and changes nothing")
  void hangupFinishedCall() {
    String token = Calls.newUser(api, admin, "hangup409");
    String callId = placeCall(token, "+15550000111");
    JsonObject ended = Calls.awaitFinal(api, token, callId, CALL_ENDS);

    ApiClient.Response conflict = api.post("/api/v2/calls/" + callId + "/hangup", token, null);
    assertProblem(conflict, 409);
    assertThat(Calls.get(api, token, callId)).isEqualTo(ended);
  }

  // ---- validation ----

  static Stream<Arguments> invalidBodies() {
    return Stream.of(
        Arguments.of(new JsonObject().put("phone_number", "123456"), "phone_number"),
        Arguments.of(new JsonObject().put("phone_number", "+12345678901234567"), "phone_number"),
        Arguments.of(new JsonObject().put("phone_number", "12ab567890"), "phone_number"),
        Arguments.of(new JsonObject().put("phone_number", "1234567890,1"), "phone_number"),
        Arguments.of(new JsonObject(), "phone_number"),
        Arguments.of(new JsonObject().put("phone_number", 1234567890), "phone_number"),
        Arguments.of(base().put("context", "ivr,s,1"), "context"),
        Arguments.of(base().put("context", "ivr\nx"), "context"),
        Arguments.of(base().put("extension", "s;1"), "extension"),
        Arguments.of(base().put("extension", "s|1"), "extension"),
        Arguments.of(base().put("caller_id", "\"Support\"\n<+15550100>"), "caller_id"),
        Arguments.of(base().put("caller_id", "Support,1"), "caller_id"),
        Arguments.of(base().put("caller_id", "x".repeat(81)), "caller_id"),
        Arguments.of(base().put("variables", new JsonObject().put("A-B", "1")), "variables"),
        Arguments.of(base().put("variables", new JsonObject().put("CALLERID(num)", "1")), "variables"),
        Arguments.of(base().put("variables", new JsonObject().put("V", "a;b")), "variables"),
        Arguments.of(base().put("variables", new JsonObject().put("V", "a\"b")), "variables"),
        Arguments.of(base().put("priority", 0), "priority"),
        Arguments.of(base().put("timeout", 0), "timeout"),
        Arguments.of(base().put("timeout", 600_001), "timeout"),
        Arguments.of(base().put("unknown_option", 1), "unknown_option"));
  }

  private static JsonObject base() {
    return new JsonObject().put("phone_number", "+15550000201");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidBodies")
  @DisplayName("an invalid POST /calls answers 400 problem+json naming the field, and stores nothing")
  void invalidCall(JsonObject body, String field) {
    String token = validationUser();
    long before = callRows();
    ApiClient.Response refused = createCall(token, body);

    assertProblem(refused, 400);
    assertThat(refused.json().getJsonArray("errors")).as(refused.body()).isNotEmpty();
    assertThat(fieldsOf(refused)).as(refused.body()).anyMatch(f -> f.equals(field) || f.startsWith(field + "."));
    assertThat(listIds(token, "")).isEmpty();
    assertThat(callRows()).isEqualTo(before);
  }

  @Test
  @DisplayName("an invalid number or option on POST /interaction/{number} answers 400 naming the field")
  void invalidInteraction() {
    String token = validationUser();
    long before = callRows();
    ApiClient.Response badNumber = api.post("/api/v2/interaction/12ab", token, null);
    assertProblem(badNumber, 400);
    assertThat(fieldsOf(badNumber)).contains("number");

    ApiClient.Response badOption = api.post("/api/v2/interaction/+15550000201", token,
        new JsonObject().put("timeout", 600_001).put("context", "a;b"));
    assertProblem(badOption, 400);
    assertThat(fieldsOf(badOption)).as(badOption.body()).anyMatch(f -> f.startsWith("timeout") || f.startsWith("context"));

    assertThat(listIds(token, "")).isEmpty();
    assertThat(callRows()).isEqualTo(before);
  }

  private String validationToken;

  private synchronized String validationUser() {
    if (validationToken == null) {
      validationToken = Calls.newUser(api, admin, "validation");
    }
    return validationToken;
  }

  private static List<String> fieldsOf(ApiClient.Response problem) {
    JsonArray errors = problem.json().getJsonArray("errors", new JsonArray());
    return errors.stream().map(e -> ((JsonObject) e).getString("field")).filter(Objects::nonNull).toList();
  }

  private long callRows() {
    return TestDatabase.queryLong(app.databaseUrl(), "SELECT count(*) FROM calls");
  }

  // ---- ownership ----

  @Test
  @DisplayName("a user neither sees nor hangs up another user's call (404); an admin sees every user's calls")
  void ownership() {
    String alice = Calls.newUser(api, admin, "alice");
    String bob = Calls.newUser(api, admin, "bob");
    String aliceCall = placeCall(alice, new JsonObject().put("phone_number", "+15550000302").put("timeout", 30_000));
    String bobCall = placeCall(bob, "+15550000311");

    assertProblem(api.get("/api/v2/calls/" + aliceCall, bob), 404);
    assertProblem(api.get("/api/v2/status/" + aliceCall, bob), 404);
    assertProblem(api.get("/api/v2/calls/" + aliceCall + "/events", bob), 404);
    assertProblem(api.post("/api/v2/calls/" + aliceCall + "/hangup", bob, null), 404);
    assertThat(listIds(bob, "")).containsExactly(bobCall);
    assertThat(listIds(alice, "")).containsExactly(aliceCall);
    assertThat(Calls.get(api, alice, aliceCall).getBoolean("is_active")).as("bob's hang-up did nothing").isTrue();

    assertThat(listIds(admin, "?limit=100")).contains(aliceCall, bobCall);
    assertThat(Calls.get(api, admin, aliceCall).getString("owner")).startsWith("alice-");
    assertThat(api.get("/api/v2/calls/" + bobCall + "/events", admin).status()).isEqualTo(200);

    ApiClient.Response hungUp = api.post("/api/v2/calls/" + aliceCall + "/hangup", admin, null);
    assertThat(hungUp.status()).as("an admin may hang up any call: %s", hungUp.body()).isEqualTo(202);
    assertThat(Calls.awaitFinal(api, alice, aliceCall, CALL_ENDS).getString("status")).isEqualTo("canceled");
  }

  // ---- listing ----

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("GET /calls")
  class Listing {

    private String token;
    /** Oldest first: busy, failed, busy, busy, failed; c1 and c3 to the same number. */
    private final List<String> calls = new ArrayList<>();
    private final List<JsonObject> rows = new ArrayList<>();

    @BeforeAll
    void fiveCalls() {
      token = Calls.newUser(api, admin, "lister");
      for (String number : List.of("+15550000411", "+15550000413", "+15550000411", "+15550000421", "+15550000423")) {
        calls.add(placeCall(token, number));
      }
      for (String id : calls) {
        rows.add(Calls.awaitFinal(api, token, id, CALL_ENDS));
      }
    }

    private List<String> newestFirst(int... oneBasedIndexes) {
      List<String> ids = new ArrayList<>();
      for (int i : oneBasedIndexes) {
        ids.add(calls.get(i - 1));
      }
      return ids;
    }

    @Test
    @DisplayName("pages with limit and cursor, newest first, without duplicates, ending with next_cursor null")
    void pagination() {
      List<String> seen = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        String query = "?limit=2" + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        ApiClient.Response page = api.get("/api/v2/calls" + query, token);
        List<JsonObject> items = items(page);
        assertThat(items.size()).isBetween(1, 2);
        items.forEach(c -> seen.add(c.getString("call_id")));
        cursor = page.json().getString("next_cursor");
        pages++;
      } while (cursor != null && pages < 10);

      assertThat(pages).isEqualTo(3);
      assertThat(seen).doesNotHaveDuplicates().containsExactlyElementsOf(newestFirst(5, 4, 3, 2, 1));
      assertThat(api.get("/api/v2/calls", token).json().getString("next_cursor")).isNull();
    }

    @Test
    @DisplayName("filters by status, also across pages")
    void byStatus() {
      assertThat(listIds(token, "?status=busy")).containsExactlyElementsOf(newestFirst(4, 3, 1));
      assertThat(listIds(token, "?status=failed")).containsExactlyElementsOf(newestFirst(5, 2));
      assertThat(listIds(token, "?status=completed")).isEmpty();

      ApiClient.Response first = api.get("/api/v2/calls?status=busy&limit=2", token);
      assertThat(items(first)).extracting(c -> c.getString("call_id")).containsExactlyElementsOf(newestFirst(4, 3));
      String cursor = first.json().getString("next_cursor");
      assertThat(listIds(token, "?status=busy&limit=2&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)))
          .containsExactlyElementsOf(newestFirst(1));
    }

    @Test
    @DisplayName("filters by phone number, with or without '+', formatted or not")
    void byPhoneNumber() {
      List<String> expected = newestFirst(3, 1);
      assertThat(listIds(token, "?phone_number=15550000411")).containsExactlyElementsOf(expected);
      assertThat(listIds(token, "?phone_number=%2B15550000411")).containsExactlyElementsOf(expected);
      assertThat(listIds(token, "?phone_number=+15550000411")).as("a literal '+'")
          .containsExactlyElementsOf(expected);
      assertThat(listIds(token, "?phone_number=1-555-000-0411")).containsExactlyElementsOf(expected);
      assertThat(listIds(token, "?phone_number=15559999999")).isEmpty();
      assertProblem(api.get("/api/v2/calls?phone_number=abc", token), 400);
    }

    @Test
    @DisplayName("filters by created_after (at or after) and created_before (strictly before)")
    void byCreationTime() {
      String third = rows.get(2).getString("created_at");
      String encoded = URLEncoder.encode(third, StandardCharsets.UTF_8);
      assertThat(listIds(token, "?created_after=" + encoded)).containsExactlyElementsOf(newestFirst(5, 4, 3));
      assertThat(listIds(token, "?created_before=" + encoded)).containsExactlyElementsOf(newestFirst(2, 1));
      assertThat(listIds(token, "?created_after=" + encoded + "&created_before="
          + URLEncoder.encode(rows.get(4).getString("created_at"), StandardCharsets.UTF_8)))
          .containsExactlyElementsOf(newestFirst(4, 3));
      assertThat(listIds(token, "?created_after=" + third.replace("Z", "+00:00")))
          .as("an offset with a literal '+'").containsExactlyElementsOf(newestFirst(5, 4, 3));
      assertThat(listIds(token, "?created_after=" + URLEncoder.encode(third.replace("Z", "+00:00"), StandardCharsets.UTF_8)))
          .as("an offset with '+' encoded").containsExactlyElementsOf(newestFirst(5, 4, 3));
      assertThat(listIds(token, "?created_after=2999-01-01T00:00:00Z")).isEmpty();
      assertThat(listIds(token, "?created_before=2000-01-01T00:00:00Z")).isEmpty();
      assertProblem(api.get("/api/v2/calls?created_after=yesterday", token), 400);
    }

    @Test
    @DisplayName("refuses a cursor it did not issue and a limit out of range with 400")
    void invalidCursorAndLimit() {
      assertProblem(api.get("/api/v2/calls?cursor=not-a-cursor", token), 400);
      assertProblem(api.get("/api/v2/calls?cursor=" + URLEncoder.encode("!!!", StandardCharsets.UTF_8), token), 400);
      assertProblem(api.get("/api/v2/calls?limit=0", token), 400);
      assertProblem(api.get("/api/v2/calls?limit=101", token), 400);
      assertProblem(api.get("/api/v2/calls?status=ringing_forever", token), 400);
    }
  }

  // ---- idempotency ----

  @Test
  @DisplayName("the same Idempotency-Key and body sent 5 times at once place one call, and all answer its id")
  void idempotentConcurrentRetries() throws Exception {
    String token = Calls.newUser(api, admin, "idem");
    String key = UUID.randomUUID().toString();
    JsonObject body = new JsonObject().put("phone_number", "+15550000511").put("variables", new JsonObject().put("A", "1"));

    List<ApiClient.Response> responses = concurrently(5,
        () -> api.post("/api/v2/calls", token, body, Map.of("Idempotency-Key", key)));

    Set<String> ids = new HashSet<>();
    for (ApiClient.Response response : responses) {
      assertThat(response.status()).as(response.body()).isEqualTo(201);
      ids.add(response.json().getString("call_id"));
      assertThat(response.header("Location")).isEqualTo("/api/v2/calls/" + response.json().getString("call_id"));
    }
    assertThat(ids).hasSize(1);
    assertThat(TestDatabase.queryLong(app.databaseUrl(),
        "SELECT count(*) FROM calls WHERE idempotency_key = '" + key + "'")).isEqualTo(1);
    assertThat(listIds(token, "")).containsExactlyElementsOf(ids);

    // A later retry, once the call ended, still answers the same call.
    String callId = ids.iterator().next();
    Calls.awaitFinal(api, token, callId, CALL_ENDS);
    ApiClient.Response late = api.post("/api/v2/calls", token, body, Map.of("Idempotency-Key", key));
    assertThat(late.json().getString("call_id")).isEqualTo(callId);
    assertThat(Calls.timeline(api, token, callId)).as("dialled once").containsExactly("pending→dialing", "dialing→busy");
  }

  @Test
  @DisplayName("the same Idempotency-Key with another body is refused with 422; another user's key is their own")
  void idempotencyKeyReuse() {
    String token = Calls.newUser(api, admin, "idem2");
    String other = Calls.newUser(api, admin, "idem3");
    String key = "order-" + UUID.randomUUID();
    ApiClient.Response first = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000521"),
        Map.of("Idempotency-Key", key));
    assertThat(first.status()).as(first.body()).isEqualTo(201);

    ApiClient.Response different = api.post("/api/v2/calls", token,
        new JsonObject().put("phone_number", "+15550000531"), Map.of("Idempotency-Key", key));
    assertProblem(different, 422);
    ApiClient.Response differentOption = api.post("/api/v2/calls", token,
        new JsonObject().put("phone_number", "+15550000521").put("timeout", 5000), Map.of("Idempotency-Key", key));
    assertProblem(differentOption, 422);

    ApiClient.Response otherUser = api.post("/api/v2/calls", other,
        new JsonObject().put("phone_number", "+15550000521"), Map.of("Idempotency-Key", key));
    assertThat(otherUser.status()).as(otherUser.body()).isEqualTo(201);
    assertThat(otherUser.json().getString("call_id")).isNotEqualTo(first.json().getString("call_id"));

    ApiClient.Response sameViaSeed = api.post("/api/v2/interaction/+15550000521", token, null,
        Map.of("Idempotency-Key", key));
    assertThat(sameViaSeed.status()).as("same call through the seed endpoint: %s", sameViaSeed.body()).isEqualTo(200);
    assertThat(sameViaSeed.json().getString("call_id")).isEqualTo(first.json().getString("call_id"));

    assertThat(listIds(token, "")).containsExactly(first.json().getString("call_id"));
    assertThat(listIds(other, "")).containsExactly(otherUser.json().getString("call_id"));
  }

  private static <T> List<T> concurrently(int n, Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Callable<T>> tasks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        tasks.add(task);
      }
      List<T> results = new ArrayList<>();
      for (Future<T> f : pool.invokeAll(tasks)) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
