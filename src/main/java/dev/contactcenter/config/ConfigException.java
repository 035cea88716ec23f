package dev.contactcenter.config;

/** A configuration value that cannot be used; the message names the key and says why, on one line. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String key, String reason) {
    super(key + ": " + reason);
  }
}
