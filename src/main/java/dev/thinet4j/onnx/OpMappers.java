package dev.thinet4j.onnx;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The registry from ONNX operator type (default domain) to the {@link OpMapper} converting it;
 * the single source of {@link OnnxImporter#SUPPORTED_OPS}. Each family registers its types:
 * {@link ShapeFolding} (constants and shapes), {@link ActivationMappers},
 * {@link ArithmeticMappers}, {@link LayerMappers} (conv, pooling, fully connected),
 * {@link LayoutMappers} (reshape, transpose, slice, split, concat, resize) and
 * {@link NormMappers} (ReduceMean, LayerNormalization).
 */
final class OpMappers {
    /** ONNX op type → mapper, sorted by type. */
    static final Map<String, OpMapper> REGISTRY;

    static {
        Map<String, OpMapper> r = new TreeMap<>();
        ShapeFolding.register(r);
        ActivationMappers.register(r);
        ArithmeticMappers.register(r);
        LayerMappers.register(r);
        LayoutMappers.register(r);
        NormMappers.register(r);
        REGISTRY = Collections.unmodifiableMap(r);
    }

    private OpMappers() {
    }

    /** @return the mapper for a default-domain op type, or null */
    static OpMapper of(String opType) {
        return REGISTRY.get(opType);
    }
}
