package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;

import java.util.Arrays;
import java.util.List;

/** jqwik generators for random ONNX records. */
final class OnnxArbitraries {

    private OnnxArbitraries() {
    }

    /** Names: ASCII identifiers, punctuation and a few non-ASCII BMP characters; may be empty. */
    static net.jqwik.api.arbitraries.StringArbitrary names() {
        return Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9')
                .withChars("_./:-é€日") .ofMaxLength(10);
    }

    static Arbitrary<String> nonEmptyNames() {
        return names().ofMinLength(1);
    }

    static Arbitrary<Float> floats() {
        return Arbitraries.floats().withStandardSpecialValues().withSpecialValue(-0.0f);
    }

    static Arbitrary<float[]> floatArrays(int maxSize) {
        return floats().array(float[].class).ofMaxSize(maxSize);
    }

    static Arbitrary<long[]> longArrays(int maxSize) {
        return Arbitraries.longs().array(long[].class).ofMaxSize(maxSize);
    }

    static Arbitrary<ByteString> byteStrings(int maxSize) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxSize).map(ByteString::copyFrom);
    }

    static Arbitrary<long[]> shapes() {
        return Arbitraries.longs().between(0, 4).array(long[].class).ofMaxSize(4);
    }

    /** Well-formed FLOAT tensors in raw_data, as PyTorch writes initializers. */
    static Arbitrary<OnnxTensor> rawFloatTensors() {
        return Combinators.combine(names(), shapes()).flatAs((name, dims) -> {
            int n = (int) Arrays.stream(dims).reduce(1, Math::multiplyExact);
            return floats().array(float[].class).ofSize(n).map(data -> OnnxTensor.ofFloats(name, data, dims));
        });
    }

    /** Well-formed FLOAT tensors in float_data. */
    static Arbitrary<OnnxTensor> typedFloatTensors() {
        return Combinators.combine(names(), shapes()).flatAs((name, dims) -> {
            int n = (int) Arrays.stream(dims).reduce(1, Math::multiplyExact);
            return floats().array(float[].class).ofSize(n).map(data -> OnnxTensor.builder()
                    .name(name).dataType(OnnxTensor.FLOAT).dims(dims).floatData(data).build());
        });
    }

    /** INT64 tensors, raw or typed. */
    static Arbitrary<OnnxTensor> longTensors() {
        return Combinators.combine(names(), longArrays(6), Arbitraries.of(true, false)).as((name, data, raw) -> raw
                ? OnnxTensor.ofLongs(name, data, data.length)
                : OnnxTensor.builder().name(name).dataType(OnnxTensor.INT64).dims(data.length).int64Data(data).build());
    }

    /** Tensors with every field random and unrelated: checks that the codec keeps each field. */
    static Arbitrary<OnnxTensor> arbitraryFieldTensors() {
        return Builders.withBuilder(OnnxTensor::builder)
                .use(names()).in(OnnxTensor.Builder::name)
                .use(Arbitraries.integers().between(0, 16)).in(OnnxTensor.Builder::dataType)
                .use(Arbitraries.longs().array(long[].class).ofMaxSize(5)).in(OnnxTensor.Builder::dims)
                .use(byteStrings(24)).withProbability(0.5).in(OnnxTensor.Builder::rawData)
                .use(floatArrays(5)).withProbability(0.3).in(OnnxTensor.Builder::floatData)
                .use(Arbitraries.integers().array(int[].class).ofMaxSize(5)).withProbability(0.3).in(OnnxTensor.Builder::int32Data)
                .use(longArrays(5)).withProbability(0.3).in(OnnxTensor.Builder::int64Data)
                .use(Arbitraries.doubles().withStandardSpecialValues().array(double[].class).ofMaxSize(4))
                .withProbability(0.3).in(OnnxTensor.Builder::doubleData)
                .use(byteStrings(6).list().ofMaxSize(3)).withProbability(0.2).in(OnnxTensor.Builder::stringData)
                .use(Arbitraries.of(0, 1)).in(OnnxTensor.Builder::dataLocation)
                .use(entries().list().ofMaxSize(3)).withProbability(0.2).in(OnnxTensor.Builder::externalData)
                .use(names()).withProbability(0.2).in(OnnxTensor.Builder::docString)
                .build(OnnxTensor.Builder::build);
    }

    static Arbitrary<OnnxTensor> tensors() {
        return Arbitraries.oneOf(rawFloatTensors(), typedFloatTensors(), longTensors(), arbitraryFieldTensors());
    }

    static Arbitrary<StringEntry> entries() {
        return Combinators.combine(names(), names()).as(StringEntry::new);
    }

    /** Attributes without subgraphs. */
    static Arbitrary<OnnxAttribute> flatAttributes() {
        Arbitrary<String> n = nonEmptyNames();
        return Arbitraries.oneOf(
                Combinators.combine(n, Arbitraries.longs()).as(OnnxAttribute::ofInt),
                Combinators.combine(n, longArrays(8)).as(OnnxAttribute::ofInts),
                Combinators.combine(n, floats()).as(OnnxAttribute::ofFloat),
                Combinators.combine(n, floatArrays(8)).as(OnnxAttribute::ofFloats),
                Combinators.combine(n, names()).as(OnnxAttribute::ofString),
                Combinators.combine(n, byteStrings(8)).as(OnnxAttribute::ofBytes),
                Combinators.combine(n, names().list().ofMaxSize(4)).as((a, v) -> OnnxAttribute.ofStrings(a, v.toArray(String[]::new))),
                Combinators.combine(n, tensors()).as(OnnxAttribute::ofTensor),
                Combinators.combine(n, tensors().list().ofMaxSize(3)).as(OnnxAttribute::ofTensors),
                Combinators.combine(n, Arbitraries.of(OnnxAttribute.Type.class), nonEmptyNames()).as(OnnxAttribute::ofReference),
                mixedAttributes());
    }

    /** Attributes with several value fields set at once and a random type. */
    static Arbitrary<OnnxAttribute> mixedAttributes() {
        Arbitrary<Object[]> first = Combinators.combine(nonEmptyNames(), Arbitraries.of(OnnxAttribute.Type.class),
                floats(), Arbitraries.longs(), byteStrings(5), tensors().injectNull(0.6))
                .as((a, b, c, d, e, f) -> new Object[] {a, b, c, d, e, f});
        Arbitrary<Object[]> second = Combinators.combine(floatArrays(4), longArrays(4), byteStrings(4).list().ofMaxSize(2),
                rawFloatTensors().list().ofMaxSize(2), names(), names())
                .as((a, b, c, d, e, f) -> new Object[] {a, b, c, d, e, f});
        return Combinators.combine(first, second).as((x, y) -> new OnnxAttribute((String) x[0],
                (OnnxAttribute.Type) x[1], (Float) x[2], (Long) x[3], (ByteString) x[4], (OnnxTensor) x[5], null,
                (float[]) y[0], (long[]) y[1], castList(y[2]), castList(y[3]), null, (String) y[4], (String) y[5]));
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> castList(Object o) {
        return (List<T>) o;
    }

    /** Any attribute, including a GRAPH/GRAPHS attribute holding a small flat subgraph. */
    static Arbitrary<OnnxAttribute> attributes() {
        Arbitrary<OnnxGraph> subgraphs = graphs(flatAttributes(), 2);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, flatAttributes()),
                net.jqwik.api.Tuple.of(1, Combinators.combine(nonEmptyNames(), subgraphs).as(OnnxAttribute::ofGraph)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(nonEmptyNames(), subgraphs.list().ofMaxSize(2)).as(OnnxAttribute::ofGraphs)));
    }

    static Arbitrary<OnnxNode> nodes(Arbitrary<OnnxAttribute> attributes) {
        Arbitrary<List<String>> valueNames = names().list().ofMaxSize(4); // may contain "" (omitted input)
        return Combinators.combine(valueNames, valueNames, names(), nonEmptyNames(),
                Arbitraries.of("", "ai.onnx", "com.microsoft", "ai.onnx.ml"), attributes.list().ofMaxSize(4), names())
                .as(OnnxNode::new);
    }

    static Arbitrary<ValueInfo.Dim> dims() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(0, Long.MAX_VALUE).map(ValueInfo.Dim::of),
                nonEmptyNames().map(ValueInfo.Dim::param),
                Arbitraries.just(ValueInfo.Dim.unknown()));
    }

    static Arbitrary<ValueInfo> valueInfos() {
        return Combinators.combine(names(), Arbitraries.integers().between(0, 16),
                dims().list().ofMaxSize(4).injectNull(0.3)).as(ValueInfo::new);
    }

    static Arbitrary<OnnxGraph> graphs(Arbitrary<OnnxAttribute> attributes, int maxNodes) {
        return Combinators.combine(names(), nodes(attributes).list().ofMaxSize(maxNodes),
                tensors().list().ofMaxSize(3), valueInfos().list().ofMaxSize(3), valueInfos().list().ofMaxSize(3),
                valueInfos().list().ofMaxSize(2), names()).as(OnnxGraph::new);
    }

    static Arbitrary<OnnxModel> models() {
        Arbitrary<OpsetId> opsets = Combinators.combine(Arbitraries.of("", "ai.onnx", "com.microsoft", "custom.x"),
                Arbitraries.longs().between(1, 25)).as(OpsetId::new);
        Arbitrary<String[]> texts = Combinators.combine(names(), names(), names(), names())
                .as((a, b, c, d) -> new String[] {a, b, c, d});
        return Combinators.combine(Arbitraries.longs().between(1, 12), opsets.list().ofMinSize(1).ofMaxSize(3), texts,
                Arbitraries.longs(), graphs(attributes(), 5), entries().list().ofMaxSize(3))
                .as((ir, ops, t, version, graph, meta) -> new OnnxModel(ir, ops, t[0], t[1], t[2], version, t[3], graph, meta));
    }
}
