package dev.thinet4j.onnx.proto;

import java.util.ArrayList;
import java.util.List;

/**
 * The name, element type and (optional) shape of a graph input, output or intermediate value:
 * ONNX {@code ValueInfoProto}, restricted to tensor types.
 *
 * <pre>
 * ValueInfoProto           field  wire type
 *   name                     1    string
 *   type                     2    TypeProto
 *     tensor_type            1      TypeProto.Tensor    (other kinds - sequence 4, map 5,
 *       elem_type            1        int32              sparse_tensor 8, optional 9 - are
 *       shape                2        TensorShapeProto   skipped on read)
 *         dim                1          repeated Dimension
 *           dim_value        1            int64
 *           dim_param        2            string
 *   doc_string               3    string   (skipped)
 * </pre>
 *
 * <p>{@code elemType} uses the {@link OnnxTensor} data-type codes ({@link OnnxTensor#FLOAT} ...);
 * {@code 0} means "no tensor type". {@code shape} is {@code null} when the value has no shape
 * at all (unknown rank) and an empty list for a scalar. When {@code elemType == 0} and
 * {@code shape == null} no {@code type} field is written.
 *
 * @param name     the value's name; {@code null} is stored as {@code ""}
 * @param elemType the element data type code, 0 when unknown
 * @param shape    the dimensions (immutable copy), or {@code null} when the shape is unknown
 */
public record ValueInfo(String name, int elemType, List<Dim> shape) {

    /**
     * Replaces a {@code null} name by {@code ""} and copies the shape.
     *
     * @param name     the value's name; {@code null} is stored as {@code ""}
     * @param elemType the element data type code, 0 when unknown
     * @param shape    the dimensions (immutable copy), or {@code null} when the shape is unknown
     */
    public ValueInfo {
        name = name == null ? "" : name;
        shape = shape == null ? null : List.copyOf(shape);
    }

    /**
     * @param name     value name
     * @param elemType element data type code
     * @param dims     the dimensions ({@link Dim#of}, {@link Dim#param}, {@link Dim#unknown})
     * @return a tensor value with a known rank
     */
    public static ValueInfo tensor(String name, int elemType, List<Dim> dims) {
        return new ValueInfo(name, elemType, dims);
    }

    /**
     * @param name     value name
     * @param elemType element data type code
     * @param dims     the dimensions ({@link Dim#of}, {@link Dim#param}, {@link Dim#unknown})
     * @return a tensor value with a known rank
     */
    public static ValueInfo tensor(String name, int elemType, Dim... dims) {
        return new ValueInfo(name, elemType, List.of(dims));
    }

    /**
     * Resolves the otherwise ambiguous {@code tensor(name, elemType)} call.
     *
     * @param name     value name
     * @param elemType element data type code
     * @return a scalar (rank 0) tensor value
     */
    public static ValueInfo tensor(String name, int elemType) {
        return new ValueInfo(name, elemType, List.of());
    }

    /**
     * @param name     value name
     * @param elemType element data type code
     * @return a tensor value whose rank is unknown ({@code shape == null})
     */
    public static ValueInfo unknownShape(String name, int elemType) {
        return new ValueInfo(name, elemType, null);
    }

    /**
     * @param name     value name
     * @param elemType element data type code
     * @param dims     fixed dimension sizes
     * @return a tensor value with a fully known shape
     */
    public static ValueInfo tensor(String name, int elemType, long... dims) {
        List<Dim> list = new ArrayList<>(dims.length);
        for (long d : dims) {
            list.add(Dim.of(d));
        }
        return new ValueInfo(name, elemType, list);
    }

    /** @return whether the rank is known ({@code shape != null}) */
    public boolean hasShape() {
        return shape != null;
    }

    /**
     * @return the shape as numbers, {@code -1} for symbolic or unknown dimensions
     * @throws IllegalStateException when the value has no shape
     */
    public long[] shapeValues() {
        if (shape == null) {
            throw new IllegalStateException("value '" + name + "' has no shape");
        }
        long[] out = new long[shape.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = shape.get(k).value();
        }
        return out;
    }

    /**
     * One dimension of a tensor shape: ONNX {@code TensorShapeProto.Dimension}, a oneof of
     * {@code dim_value} (field 1) and {@code dim_param} (field 2).
     *
     * <p>Canonical form: a fixed dimension has {@code value >= 0} and {@code param == null}; a
     * symbolic one ({@code "batch"}) has {@code value == -1} and a non-empty {@code param}; an
     * unknown one (neither field set) has {@code value == -1} and {@code param == null}. The
     * constructor brings any other combination to that form: a non-empty param wins over a
     * value, an empty param counts as none, and a negative value becomes {@code -1}.
     *
     * @param value the fixed size, or {@code -1}
     * @param param the symbolic name, or {@code null}
     */
    public record Dim(long value, String param) {

        /**
         * Brings the pair into canonical form (see the type's description).
         *
         * @param value the fixed size, or {@code -1}
         * @param param the symbolic name, or {@code null}
         */
        public Dim {
            if (param != null && param.isEmpty()) {
                param = null;
            }
            if (param != null || value < 0) {
                value = -1;
            }
        }

        /**
         * @param value a fixed size, {@code >= 0}
         * @return a fixed dimension
         */
        public static Dim of(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("dimension size must be >= 0, got " + value);
            }
            return new Dim(value, null);
        }

        /**
         * @param param a symbolic name such as {@code "batch"}
         * @return a symbolic dimension
         */
        public static Dim param(String param) {
            if (param == null || param.isEmpty()) {
                throw new IllegalArgumentException("dimension parameter must be non-empty");
            }
            return new Dim(-1, param);
        }

        /** @return a dimension with neither a size nor a name */
        public static Dim unknown() {
            return new Dim(-1, null);
        }

        /** @return whether this is a fixed size */
        public boolean isFixed() {
            return value >= 0;
        }

        /** @return whether this is a symbolic (named) dimension */
        public boolean isParam() {
            return param != null;
        }

        @Override
        public String toString() {
            return param != null ? param : value >= 0 ? Long.toString(value) : "?";
        }
    }
}
