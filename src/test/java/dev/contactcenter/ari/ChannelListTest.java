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
}
