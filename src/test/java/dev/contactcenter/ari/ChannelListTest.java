package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The channel list is read for its channels' ids only")
class ChannelListTest {

  @Test
  @DisplayName("each channel's own id, not ids nested in its fields; an empty list is empty")
  void idsOfTheChannelsOnly() throws IOException {
    String list = "[{\"name\":\"PJSIP/trunk-1\",\"caller\":{\"name\":\"\",\"number\":\"+1555\"},"
        + "\"dialplan\":{\"context\":\"x\",\"id\":\"not-a-channel\"},\"id\":\"call-1\",\"state\":\"Ring\"},"
        + "{\"id\":\"call-2\",\"tags\":[{\"id\":\"nested\"},[1,2]],\"language\":\"en\"},{\"state\":\"Up\"}]";
    assertThat(AriClient.channelIdsOf(Buffer.buffer(list))).containsExactlyInAnyOrder("call-1", "call-2");
    assertThat(AriClient.channelIdsOf(Buffer.buffer("[]"))).isEmpty();
  }

  @Test
  @DisplayName("an answer that is not a whole JSON array of channels is an error, not an empty list (which would settle every call)")
  void notAnArray() {
    assertThatThrownBy(() -> AriClient.channelIdsOf(Buffer.buffer("{\"message\":\"x\"}"))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> AriClient.channelIdsOf(Buffer.buffer("[{\"id\":\"a\"}"))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> AriClient.channelIdsOf(Buffer.buffer("[{\"id\":\"a\"},\"b\"]")))
        .isInstanceOf(IOException.class);
  }

  @Test
  @DisplayName("the originate answer is read for the created channel's own id and creationtime, not nested fields")
  void createdChannelHead() throws IOException {
    String channel = "{\"dialplan\":{\"id\":\"nested\",\"creationtime\":\"x\"},\"id\":\"call-1\","
        + "\"caller\":{\"name\":\"\",\"number\":\"+1555\"},\"tags\":[{\"id\":\"n\"}],"
        + "\"creationtime\":\"2026-11-23T21:43:18.347+0000\",\"language\":\"en\"}";
    assertThat(AriClient.channelHead(Buffer.buffer(channel)).getMap())
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("id", "call-1", "creationtime", "2026-11-23T21:43:18.347+0000"));
    assertThat(AriClient.channelHead(Buffer.buffer("")).isEmpty()).isTrue();
    assertThatThrownBy(() -> AriClient.channelHead(Buffer.buffer("[1]"))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> AriClient.channelHead(Buffer.buffer("{\"id\":\"a\""))).isInstanceOf(IOException.class);
  }
}
