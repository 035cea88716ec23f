package dev.contactcenter.http;

import static io.vertx.openapi.validation.SchemaValidationException.createErrorFromOutputUnitType;
import static io.vertx.openapi.validation.SchemaValidationException.createInvalidValueBody;
import static io.vertx.openapi.validation.ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT;
import static io.vertx.openapi.validation.ValidatorException.createMissingRequiredParameter;
import static io.vertx.openapi.validation.ValidatorException.createUnsupportedValueFormat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.RequestBody;
import io.vertx.openapi.contract.Style;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidationContext;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.analyser.ContentAnalyser;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;
import io.vertx.openapi.validation.transformer.FormTransformer;
import io.vertx.openapi.validation.transformer.LabelTransformer;
import io.vertx.openapi.validation.transformer.MatrixTransformer;
import io.vertx.openapi.validation.transformer.ParameterTransformer;
import io.vertx.openapi.validation.transformer.SimpleTransformer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The contract's request validation, same rules as vertx-openapi's own {@code RequestValidatorImpl}, without its two
 * costs on every request (measured with JFR under the status-read benchmark): it built a new JSON-schema validator
 * per parameter and per body (copying the schema repository's maps each time), and it ran every validation as an
 * <em>ordered</em> blocking task, so one event loop's requests queued one behind the other on a worker thread.
 * Here each schema's validator is built once and reused; small requests are validated on the event loop (a few
 * microseconds); bodies over {@link #INLINE_BODY_LIMIT} bytes still go to a worker thread, unordered.
 *
 * <p>One instance per HTTP verticle: its cache is confined to that verticle's event loop, or to the worker running
 * a large body's validation, which only reads validators built at start.
 */
final class InlineRequestValidator extends RequestValidatorImpl {

  static final int INLINE_BODY_LIMIT = 8 * 1024;
  /** The media types vertx-openapi's {@code ContentAnalyser} reads as JSON (it switches on these identifiers). */
  private static final Set<String> JSON_ANALYSED = Set.of("application/json", "application/json; charset=utf-8",
      "application/hal+json");
  private static final java.util.regex.Pattern INTEGER = java.util.regex.Pattern.compile("-?[0-9]{1,18}");

  private final Map<Style, ParameterTransformer> transformers = new EnumMap<>(Style.class);
  private final Map<JsonSchema, Validator> validators = new IdentityHashMap<>();
  /**
   * Per media type, whether its body is validated against its schema, and per request body the media type of a plain
   * {@code application/json} request: the library works both out on every request (copying the schema's field names
   * into a new set; compiling a whitespace regular expression), though they depend on the contract alone. Built at
   * start, only read afterwards.
   */
  private final Map<MediaType, Boolean> schemaValidated = new IdentityHashMap<>();
  private final Map<RequestBody, MediaType> plainJson = new IdentityHashMap<>();
  /** The hand check of the usual create-call body; null when the contract's schema is not as it expects. */
  private final NumberOnlyBody numberOnly;

  InlineRequestValidator(Vertx vertx, OpenAPIContract contract) {
    super(vertx, contract);
    transformers.put(Style.SIMPLE, new SimpleTransformer());
    transformers.put(Style.LABEL, new LabelTransformer());
    transformers.put(Style.MATRIX, new MatrixTransformer());
    transformers.put(Style.FORM, new FormTransformer());
    numberOnly = NumberOnlyBody.of(contract);
    // Build every validator now, so the cache is only read afterwards (also from a worker thread).
    for (Operation operation : contract.operations()) {
      operation.getParameters().forEach(p -> validator(p.getSchema()));
      RequestBody requestBody = operation.getRequestBody();
      if (requestBody != null) {
        requestBody.getContent().values().forEach(m -> {
          if (m.getSchema() != null) {
            validator(m.getSchema());
          }
          schemaValidated.put(m, super.isSchemaValidationRequired(m));
        });
        MediaType json = requestBody.determineContentType(RequestGuard.JSON);
        if (json != null) {
          plainJson.put(requestBody, json);
        }
      }
    }
  }

  /** The route handler: validates, then stores the result where {@code RouterBuilder}'s own handler would. */
  void handle(RoutingContext rc, Operation operation) {
    Object decoded = RequestGuard.decodedBody(rc);
    RequestExtractor.withBodyHandler().extractValidatableRequest(rc, operation)
        .compose(request -> validate(request, operation, decoded))
        .onSuccess(validated -> {
          rc.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, validated);
          rc.next();
        })
        .onFailure(e -> rc.fail(e instanceof ValidatorException
            ? new HttpException(400, e.getMessage(), e) : e));
  }

  @Override
  public Future<ValidatedRequest> validate(ValidatableRequest request, String operationId) {
    Operation operation = contract.operation(operationId);
    if (operation == null) {
      return getOperation(operationId).map(op -> null);
    }
    return validate(request, operation, null);
  }

  /** {@code decoded}: the JSON body as {@link RequestGuard} decoded it, used instead of decoding it again; or null. */
  Future<ValidatedRequest> validate(ValidatableRequest request, Operation operation, Object decoded) {
    RequestParameter body = request.getBody();
    if (body != null && body.get() instanceof Buffer buffer && buffer.length() > INLINE_BODY_LIMIT) {
      return vertx.executeBlocking(() -> validateNow(request, operation, decoded), false);
    }
    try {
      return Future.succeededFuture(validateNow(request, operation, decoded));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private ValidatedRequest validateNow(ValidatableRequest request, Operation operation, Object decoded) {
    Map<String, RequestParameter> cookies = new HashMap<>(4);
    Map<String, RequestParameter> headers = new HashMap<>(4);
    Map<String, RequestParameter> path = new HashMap<>(4);
    Map<String, RequestParameter> query = new HashMap<>(8);
    for (Parameter param : operation.getParameters()) {
      switch (param.getIn()) {
        case COOKIE -> cookies.put(param.getName(), validateParameter(param, request.getCookies().get(param.getName())));
        case HEADER -> headers.put(param.getName(), validateParameter(param, request.getHeaders().get(param.getName())));
        case PATH -> path.put(param.getName(), validateParameter(param, request.getPathParameters().get(param.getName())));
        case QUERY -> query.put(param.getName(), validateParameter(param, request.getQuery().get(param.getName())));
        default -> {
        }
      }
    }
    RequestParameter body = decoded == null ? validateBody(operation.getRequestBody(), request)
        : validateDecodedBody(operation.getRequestBody(), request, decoded);
    return new ValidatedRequestImpl(cookies, headers, path, query, body);
  }

  /**
   * What {@code validateBody} does with a JSON body, on the value already decoded: the library's JSON analyser would
   * decode the same bytes again (into the same value: RequestGuardJsonTest). A media type that analyser does not
   * handle takes the library's path.
   */
  private RequestParameter validateDecodedBody(RequestBody requestBody, ValidatableRequest request, Object decoded) {
    if (requestBody == null) {
      return new RequestParameterImpl(null);
    }
    MediaType mediaType = mediaType(requestBody, request.getContentType());
    if (mediaType == null || !JSON_ANALYSED.contains(mediaType.getIdentifier())) {
      return validateBody(requestBody, request);
    }
    if (!isSchemaValidationRequired(mediaType)) {
      return new RequestParameterImpl(request.getBody() == null ? null : request.getBody().get());
    }
    return checkSchema(mediaType, decoded, ValidationContext.REQUEST);
  }

  @Override
  public RequestParameter validateParameter(Parameter parameter, RequestParameter value) {
    if (value == null || value.isNull()) {
      if (parameter.isRequired()) {
        throw createMissingRequiredParameter(parameter);
      }
      return new RequestParameterImpl(null);
    }
    ParameterTransformer transformer = transformers.get(parameter.getStyle());
    if (transformer == null) {
      throw createUnsupportedValueFormat(parameter);
    }
    String raw = String.valueOf(value.get());
    if (parameter.getSchemaType() == SchemaType.INTEGER && !INTEGER.matcher(raw).matches()) {
      // The transformer reads the value as JSON, so "1e2" or "100.0" became the integer 100.
      throw new ValidatorException("The value of " + parameter.getIn().name().toLowerCase(java.util.Locale.ROOT)
          + " parameter " + parameter.getName() + " is not an integer in decimal digits", UNSUPPORTED_VALUE_FORMAT);
    }
    Object transformed = isPlainString(parameter, raw) ? raw : transformer.transform(parameter, raw);
    OutputUnit result = validator(parameter.getSchema()).validate(transformed);
    try {
      result.checkValidity();
      return new RequestParameterImpl(transformed);
    } catch (JsonSchemaValidationException e) {
      throw createErrorFromOutputUnitType(parameter, result, e);
    }
  }

  @Override
  protected RequestParameterImpl validate(MediaType mediaType, String contentType, Buffer rawContent,
      ValidationContext requestOrResponse) {
    ContentAnalyser analyser = mediaType == null ? null
        : ContentAnalyser.getContentAnalyser(mediaType, contentType, rawContent, requestOrResponse);
    if (analyser == null) {
      throw new ValidatorException("The format of the " + requestOrResponse + " body is not supported",
          UNSUPPORTED_VALUE_FORMAT);
    }
    analyser.checkSyntacticalCorrectness();
    if (!isSchemaValidationRequired(mediaType)) {
      return new RequestParameterImpl(rawContent);
    }
    return checkSchema(mediaType, analyser.transform(), requestOrResponse);
  }

  private RequestParameterImpl checkSchema(MediaType mediaType, Object transformed,
      ValidationContext requestOrResponse) {
    if (numberOnly != null && numberOnly.accepts(mediaType.getSchema(), transformed)) {
      return new RequestParameterImpl(transformed);
    }
    OutputUnit result = validator(mediaType.getSchema()).validate(transformed);
    try {
      result.checkValidity();
      return new RequestParameterImpl(transformed);
    } catch (JsonSchemaValidationException e) {
      throw createInvalidValueBody(result, requestOrResponse, e);
    }
  }

  /** What {@code requestBody.determineContentType(contentType)} answers, without its work for the usual type. */
  MediaType mediaType(RequestBody requestBody, String contentType) {
    MediaType known = RequestGuard.JSON.equals(contentType) ? plainJson.get(requestBody) : null;
    return known != null ? known : requestBody.determineContentType(contentType);
  }

  @Override
  protected boolean isSchemaValidationRequired(MediaType mediaType) {
    Boolean known = schemaValidated.get(mediaType);
    return known != null ? known : super.isSchemaValidationRequired(mediaType);
  }

  /**
   * A string parameter in simple or form style is its raw value. The library's transformer gets there too, but
   * first tries the value as JSON (a UUID or E.164 number fails, throwing an exception with a stack trace, then is
   * retried quoted) after a regular-expression check compiled per call: most of the cost of reading a call by id.
   * A value that starts with a quote still goes through the library. The one difference: a value that reads as a
   * JSON number (e.g. {@code 1.5}) stays the string it is, where the library made it a number and refused it.
   */
  private static boolean isPlainString(Parameter parameter, String raw) {
    return parameter.getSchemaType() == SchemaType.STRING
        && (parameter.getStyle() == Style.SIMPLE || parameter.getStyle() == Style.FORM)
        && !raw.isEmpty() && raw.charAt(0) != '"';
  }

  private Validator validator(JsonSchema schema) {
    Validator validator = validators.get(schema);
    if (validator == null) {
      validator = contract.getSchemaRepository().validator(schema);
      validators.put(schema, validator);
    }
    return validator;
  }
}
