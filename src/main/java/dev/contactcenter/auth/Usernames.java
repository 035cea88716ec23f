package dev.contactcenter.auth;

import java.nio.charset.StandardCharsets;

/** The rules every username and password meet before they reach the database or bcrypt. */
public final class Usernames {

  /**
   * bcrypt uses at most 72 bytes of a password; the library refuses longer ones. Rather than silently ignore the rest
   * (two passwords sharing 72 bytes would both open the account) or pre-hash (a hash format no other bcrypt tool
   * reads), a longer password is refused when it is set.
   */
  public static final int MAX_PASSWORD_BYTES = 72;

  private Usernames() {
  }

  public static boolean hasControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  public static int passwordBytes(String password) {
    return password.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Why a new password is refused, or null: 12 characters at least, 72 UTF-8 bytes at most, no control characters. */
  public static String passwordProblem(String password) {
    if (password == null || password.length() < 12) {
      return "at least 12 characters";
    }
    if (passwordBytes(password) > MAX_PASSWORD_BYTES) {
      return "at most " + MAX_PASSWORD_BYTES + " bytes in UTF-8 (bcrypt's limit; e.g. 72 ASCII or 36 two-byte characters)";
    }
    if (hasControl(password)) {
      return "no control characters";
    }
    return null;
  }
}
