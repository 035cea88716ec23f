/**
 * A built-in, ARI-compatible imitation of Asterisk 22 for the zero-config run: {@link
 * dev.contactcenter.sandbox.SandboxAriServer} answers the REST calls and streams the WebSocket events
 * the service's ARI client expects, for calls that are simulated, never placed.
 */
package dev.contactcenter.sandbox;
