package dev.contactcenter.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request whose body Netty could not decode (a malformed chunk size, say). Vert.x closes such a connection
 * without any response, the request head having been accepted already; this handler sits just before Vert.x's own
 * in the connection's pipeline and writes a 400 problem+json first, unless a response was already started.
 */
final class MalformedBodyAnswer extends ChannelDuplexHandler {

  private static final Logger LOG = LoggerFactory.getLogger(MalformedBodyAnswer.class);
  private static final String NAME = "cc-malformed-body";
  private boolean responseStarted;
  private boolean responseEnded;
  private boolean closeAfterResponse;

  /** Installs the handler on a new HTTP/1.x connection (Vert.x's pipeline handler is named {@code handler}). */
  static void install(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelHandlerContext context = base.channelHandlerContext();
    if (context.pipeline().get("handler") != null && context.pipeline().get(NAME) == null) {
      context.pipeline().addBefore("handler", NAME, new MalformedBodyAnswer());
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpContent content && content.decoderResult().isFailure() && responseStarted) {
      // An answer is already on its way (e.g. a 415 sent on the head alone): let it finish, then close.
      ReferenceCountUtil.release(msg);
      if (responseEnded) {
        // Vert.x flushes what it wrote during a read only when the read completes: flush it before closing.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      } else {
        closeAfterResponse = true;
      }
      return;
    }
    if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      responseStarted = true;
      LOG.debug("Malformed request body: {}", content.decoderResult().cause().toString());
      byte[] body = Problems.body(400, "the request body's framing is not valid HTTP/1.1 (e.g. a malformed chunk)",
          "", UUID.randomUUID().toString()).encode().getBytes(StandardCharsets.UTF_8);
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
          Unpooled.wrappedBuffer(body));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, Problems.CONTENT_TYPE)
          .set(HttpHeaderNames.CONTENT_LENGTH, body.length).set(HttpHeaderNames.CONNECTION, "close");
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
    if (msg instanceof HttpResponse) {
      responseStarted = true;
      responseEnded = false;
    }
    if (msg instanceof LastHttpContent) {
      responseEnded = true;
      if (closeAfterResponse) {
        ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    ctx.write(msg, promise);
  }
}
