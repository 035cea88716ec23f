package dev.contactcenter.calls;

import java.util.OptionalInt;

/**
 * Q.850 hang-up causes with Asterisk's texts, and the {@code reason} names of {@code DELETE /channels}: the one table
 * both the call outcome classification and the built-in sandbox read.
 */
public final class HangupCauses {

  public static final int UNKNOWN = 0;
  public static final int UNALLOCATED = 1;
  public static final int NORMAL_CLEARING = 16;
  public static final int USER_BUSY = 17;
  public static final int NO_USER_RESPONSE = 18;
  public static final int NO_ANSWER = 19;
  public static final int CALL_REJECTED = 21;
  public static final int ANSWERED_ELSEWHERE = 26;
  public static final int INVALID_NUMBER_FORMAT = 28;
  public static final int NORMAL_UNSPECIFIED = 31;
  public static final int CONGESTION = 34;
  public static final int FAILURE = 38;
  public static final int BEARER_CAPABILITY_NOT_AVAILABLE = 58;
  public static final int INTERWORKING = 127;

  /**
   * Not a Q.850 cause: Asterisk's {@code AST_SOFTHANGUP_EXPLICIT} flag. A hang-up requested through
   * ARI publishes {@code ChannelHangupRequest} with this value as its {@code cause} (the trace shows 32).
   */
  public static final int SOFTHANGUP_EXPLICIT = 0x20;

  private HangupCauses() {
  }

  /** The {@code cause_txt} Asterisk writes in {@code ChannelDestroyed}; "Unknown" for anything else. */
  public static String text(int cause) {
    return switch (cause) {
      case UNALLOCATED -> "Unallocated (unassigned) number";
      case NORMAL_CLEARING -> "Normal Clearing";
      case USER_BUSY -> "User busy";
      case NO_USER_RESPONSE -> "No user responding";
      case NO_ANSWER -> "User alerting, no answer";
      case CALL_REJECTED -> "Call Rejected";
      case ANSWERED_ELSEWHERE -> "Answered elsewhere";
      case INVALID_NUMBER_FORMAT -> "Invalid number format (addr incomplete)";
      case NORMAL_UNSPECIFIED -> "Normal, unspecified";
      case CONGESTION -> "Circuit/channel congestion";
      case FAILURE -> "Network out of order";
      case BEARER_CAPABILITY_NOT_AVAILABLE -> "Bearer capability not available";
      case INTERWORKING -> "Interworking, unspecified";
      default -> "Unknown";
    };
  }

  /** The cause for a {@code reason} of {@code DELETE /channels/{id}}; empty for a name ARI rejects. */
  public static OptionalInt forReason(String reason) {
    return switch (reason) {
      case "normal" -> OptionalInt.of(NORMAL_CLEARING);
      case "busy" -> OptionalInt.of(USER_BUSY);
      case "congestion" -> OptionalInt.of(CONGESTION);
      case "no_answer" -> OptionalInt.of(NO_ANSWER);
      case "timeout" -> OptionalInt.of(NO_USER_RESPONSE);
      case "rejected" -> OptionalInt.of(CALL_REJECTED);
      case "unallocated" -> OptionalInt.of(UNALLOCATED);
      case "normal_unspecified" -> OptionalInt.of(NORMAL_UNSPECIFIED);
      case "number_incomplete" -> OptionalInt.of(INVALID_NUMBER_FORMAT);
      case "codec_mismatch" -> OptionalInt.of(BEARER_CAPABILITY_NOT_AVAILABLE);
      case "interworking" -> OptionalInt.of(INTERWORKING);
      case "failure" -> OptionalInt.of(FAILURE);
      case "answered_elsewhere" -> OptionalInt.of(ANSWERED_ELSEWHERE);
      default -> OptionalInt.empty();
    };
  }
}
