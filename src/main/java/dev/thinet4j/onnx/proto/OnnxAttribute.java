package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A named node attribute: ONNX {@code AttributeProto}.
 *
 * <pre>
 * AttributeProto           field  wire type
 *   name                     1    string
 *   f                        2    float
 *   i                        3    int64
 *   s                        4    bytes
 *   t                        5    TensorProto
 *   g                        6    GraphProto         (decoded into an {@link OnnxGraph})
 *   floats                   7    repeated float     (written unpacked; read packed or not)
 *   ints                     8    repeated int64     (written unpacked; read packed or not)
 *   strings                  9    repeated bytes
 *   tensors                 10    repeated TensorProto
 *   graphs                  11    repeated GraphProto
 *   doc_string              13    string
 *   type                    20    enum {@link Type}
 *   ref_attr_name           21    string
 *   (sparse_tensor 22, sparse_tensors 23, tp 14, type_protos 15 are skipped)
 * </pre>
 *
 * <p>All value fields are kept, whatever the {@link #type()}: a reader gets back exactly what
 * was in the file. The writer always writes the field that belongs to the type (for example
 * {@code i = 0} for an INT attribute) and every other non-empty field. Use the {@code of*}
 * factories to build attributes and the checked {@code as*} getters to read them; the plain
 * accessors ({@link #i()}, {@link #ints()}, ...) return the raw field whatever the type.
 * Array accessors return copies.
 *
 * @param name        attribute name, e.g. {@code "kernel_shape"}
 * @param type        the attribute type ({@code null} is stored as {@link Type#UNDEFINED})
 * @param f           field 2
 * @param i           field 3
 * @param s           field 4; {@code null} is stored as empty
 * @param t           field 5, or {@code null}
 * @param g           field 6, or {@code null}
 * @param floats      field 7 (copied)
 * @param ints        field 8 (copied)
 * @param strings     field 9
 * @param tensors     field 10
 * @param graphs      field 11
 * @param refAttrName field 21 (a reference to an attribute of the enclosing function), or {@code ""}
 * @param docString   field 13, or {@code ""}
 */
public record OnnxAttribute(String name, Type type, float f, long i, ByteString s, OnnxTensor t,
                            OnnxGraph g, float[] floats, long[] ints, List<ByteString> strings,
                            List<OnnxTensor> tensors, List<OnnxGraph> graphs, String refAttrName,
                            String docString) {

    /**
     * {@code AttributeProto.AttributeType}: which field holds the value.
     */
    public enum Type {
        /** 0: not set. */
        UNDEFINED(0),
        /** 1: {@code f}. */
        FLOAT(1),
        /** 2: {@code i}. */
        INT(2),
        /** 3: {@code s}. */
        STRING(3),
        /** 4: {@code t}. */
        TENSOR(4),
        /** 5: {@code g}. */
        GRAPH(5),
        /** 6: {@code floats}. */
        FLOATS(6),
        /** 7: {@code ints}. */
        INTS(7),
        /** 8: {@code strings}. */
        STRINGS(8),
        /** 9: {@code tensors}. */
        TENSORS(9),
        /** 10: {@code graphs}. */
        GRAPHS(10),
        /** 11: {@code sparse_tensor} (not kept by this codec). */
        SPARSE_TENSOR(11),
        /** 12: {@code sparse_tensors} (not kept by this codec). */
        SPARSE_TENSORS(12),
        /** 13: {@code tp} (not kept by this codec). */
        TYPE_PROTO(13),
        /** 14: {@code type_protos} (not kept by this codec). */
        TYPE_PROTOS(14);

        private static final Type[] BY_CODE = values();

        private final int code;

        Type(int code) {
            this.code = code;
        }

        /** @return the wire value of this type */
        public int code() {
            return code;
        }

        /**
         * @param code a wire value
         * @return the type, or {@link #UNDEFINED} for an unknown code
         */
        public static Type fromCode(int code) {
            return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNDEFINED;
        }
    }

    private static final float[] NO_FLOATS = {};
    private static final long[] NO_LONGS = {};

    /**
     * Normalises {@code null}s to empty values and copies the arrays and lists.
     *
     * @param name        attribute name, e.g. {@code "kernel_shape"}
     * @param type        the attribute type ({@code null} is stored as {@link Type#UNDEFINED})
     * @param f           field 2
     * @param i           field 3
     * @param s           field 4; {@code null} is stored as empty
     * @param t           field 5, or {@code null}
     * @param g           field 6, or {@code null}
     * @param floats      field 7 (copied)
     * @param ints        field 8 (copied)
     * @param strings     field 9
     * @param tensors     field 10
     * @param graphs      field 11
     * @param refAttrName field 21 (a reference to an attribute of the enclosing function), or {@code ""}
     * @param docString   field 13, or {@code ""}
     */
    public OnnxAttribute {
        name = name == null ? "" : name;
        type = type == null ? Type.UNDEFINED : type;
        s = s == null ? ByteString.EMPTY : s;
        floats = floats == null || floats.length == 0 ? NO_FLOATS : floats.clone();
        ints = ints == null || ints.length == 0 ? NO_LONGS : ints.clone();
        strings = strings == null ? List.of() : List.copyOf(strings);
        tensors = tensors == null ? List.of() : List.copyOf(tensors);
        graphs = graphs == null ? List.of() : List.copyOf(graphs);
        refAttrName = refAttrName == null ? "" : refAttrName;
        docString = docString == null ? "" : docString;
    }

    // ------------------------------------------------------------------ factories

    /**
     * @param name attribute name
     * @param value value
     * @return an INT attribute
     */
    public static OnnxAttribute ofInt(String name, long value) {
        return new OnnxAttribute(name, Type.INT, 0f, value, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param values values (copied)
     * @return an INTS attribute
     */
    public static OnnxAttribute ofInts(String name, long... values) {
        return new OnnxAttribute(name, Type.INTS, 0f, 0L, null, null, null, null, values, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param value value
     * @return a FLOAT attribute
     */
    public static OnnxAttribute ofFloat(String name, float value) {
        return new OnnxAttribute(name, Type.FLOAT, value, 0L, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param values values (copied)
     * @return a FLOATS attribute
     */
    public static OnnxAttribute ofFloats(String name, float... values) {
        return new OnnxAttribute(name, Type.FLOATS, 0f, 0L, null, null, null, values, null, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param value value, stored as UTF-8
     * @return a STRING attribute
     */
    public static OnnxAttribute ofString(String name, String value) {
        return ofBytes(name, ByteString.copyFromUtf8(value));
    }

    /**
     * @param name attribute name
     * @param value raw bytes
     * @return a STRING attribute
     */
    public static OnnxAttribute ofBytes(String name, ByteString value) {
        return new OnnxAttribute(name, Type.STRING, 0f, 0L, value, null, null, null, null, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param values values, stored as UTF-8
     * @return a STRINGS attribute
     */
    public static OnnxAttribute ofStrings(String name, String... values) {
        List<ByteString> list = new ArrayList<>(values.length);
        for (String v : values) {
            list.add(ByteString.copyFromUtf8(v));
        }
        return new OnnxAttribute(name, Type.STRINGS, 0f, 0L, null, null, null, null, null, list, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param value tensor
     * @return a TENSOR attribute
     */
    public static OnnxAttribute ofTensor(String name, OnnxTensor value) {
        Objects.requireNonNull(value, "value");
        return new OnnxAttribute(name, Type.TENSOR, 0f, 0L, null, value, null, null, null, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param values tensors
     * @return a TENSORS attribute
     */
    public static OnnxAttribute ofTensors(String name, List<OnnxTensor> values) {
        return new OnnxAttribute(name, Type.TENSORS, 0f, 0L, null, null, null, null, null, null, values, null, null, null);
    }

    /**
     * @param name attribute name
     * @param value subgraph
     * @return a GRAPH attribute
     */
    public static OnnxAttribute ofGraph(String name, OnnxGraph value) {
        Objects.requireNonNull(value, "value");
        return new OnnxAttribute(name, Type.GRAPH, 0f, 0L, null, null, value, null, null, null, null, null, null, null);
    }

    /**
     * @param name attribute name
     * @param values subgraphs
     * @return a GRAPHS attribute
     */
    public static OnnxAttribute ofGraphs(String name, List<OnnxGraph> values) {
        return new OnnxAttribute(name, Type.GRAPHS, 0f, 0L, null, null, null, null, null, null, null, values, null, null);
    }

    /**
     * @param name        attribute name
     * @param type        the attribute's declared type
     * @param refAttrName the enclosing function's attribute it refers to
     * @return an attribute reference (used inside ONNX functions)
     */
    public static OnnxAttribute ofReference(String name, Type type, String refAttrName) {
        return new OnnxAttribute(name, type, 0f, 0L, null, null, null, null, null, null, null, null, refAttrName, null);
    }

    // ------------------------------------------------------------------ checked getters

    private void expect(Type expected) {
        if (type != expected) {
            throw new IllegalStateException("attribute '" + name + "' is " + type + ", not " + expected);
        }
    }

    /**
     * @return {@link #i()}
     * @throws IllegalStateException unless the type is INT
     */
    public long asInt() {
        expect(Type.INT);
        return i;
    }

    /**
     * @return a copy of {@link #ints()}
     * @throws IllegalStateException unless the type is INTS
     */
    public long[] asInts() {
        expect(Type.INTS);
        return ints.clone();
    }

    /**
     * @return {@link #f()}
     * @throws IllegalStateException unless the type is FLOAT
     */
    public float asFloat() {
        expect(Type.FLOAT);
        return f;
    }

    /**
     * @return a copy of {@link #floats()}
     * @throws IllegalStateException unless the type is FLOATS
     */
    public float[] asFloats() {
        expect(Type.FLOATS);
        return floats.clone();
    }

    /**
     * @return {@link #s()} decoded as UTF-8
     * @throws IllegalStateException unless the type is STRING
     */
    public String asString() {
        expect(Type.STRING);
        return s.toStringUtf8();
    }

    /**
     * @return {@link #strings()} decoded as UTF-8
     * @throws IllegalStateException unless the type is STRINGS
     */
    public List<String> asStrings() {
        expect(Type.STRINGS);
        return strings.stream().map(b -> new String(b.toByteArray(), StandardCharsets.UTF_8)).toList();
    }

    /**
     * @return {@link #t()}
     * @throws IllegalStateException unless the type is TENSOR
     */
    public OnnxTensor asTensor() {
        expect(Type.TENSOR);
        return t;
    }

    /**
     * @return {@link #g()}
     * @throws IllegalStateException unless the type is GRAPH
     */
    public OnnxGraph asGraph() {
        expect(Type.GRAPH);
        return g;
    }

    // ------------------------------------------------------------------ raw accessors (copies)

    /** @return a copy of field 7 */
    @Override
    public float[] floats() {
        return floats.clone();
    }

    /** @return a copy of field 8 */
    @Override
    public long[] ints() {
        return ints.clone();
    }

    /** Field 7 without copying, for the writer. */
    float[] floatsRef() {
        return floats;
    }

    /** Field 8 without copying, for the writer. */
    long[] intsRef() {
        return ints;
    }

    /** @return the number of elements in field 7, without copying */
    public int floatCount() {
        return floats.length;
    }

    /** @return the number of elements in field 8, without copying */
    public int intCount() {
        return ints.length;
    }

    // ------------------------------------------------------------------ value semantics

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof OnnxAttribute a)) {
            return false;
        }
        return type == a.type && Float.compare(f, a.f) == 0 && i == a.i && name.equals(a.name)
                && s.equals(a.s) && Objects.equals(t, a.t) && Objects.equals(g, a.g)
                && Arrays.equals(floats, a.floats) && Arrays.equals(ints, a.ints)
                && strings.equals(a.strings) && tensors.equals(a.tensors) && graphs.equals(a.graphs)
                && refAttrName.equals(a.refAttrName) && docString.equals(a.docString);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(name, type, f, i, s, t, g, strings, tensors, graphs, refAttrName, docString);
        h = 31 * h + Arrays.hashCode(floats);
        return 31 * h + Arrays.hashCode(ints);
    }

    /** @return {@code name=value} in a compact form */
    @Override
    public String toString() {
        String value = switch (type) {
            case FLOAT -> Float.toString(f);
            case INT -> Long.toString(i);
            case STRING -> '"' + s.toStringUtf8() + '"';
            case TENSOR -> String.valueOf(t);
            case GRAPH -> g == null ? "null" : "graph '" + g.name() + "' (" + g.nodes().size() + " nodes)";
            case FLOATS -> Arrays.toString(floats);
            case INTS -> Arrays.toString(ints);
            case STRINGS -> asStrings().toString();
            case TENSORS -> tensors.toString();
            case GRAPHS -> graphs.size() + " graphs";
            default -> "?";
        };
        String ref = refAttrName.isEmpty() ? "" : " ref=@" + refAttrName;
        return "OnnxAttribute[" + name + ":" + type + "=" + value + ref + "]";
    }
}
