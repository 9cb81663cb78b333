package dev.thinet4j.onnx.proto;

/**
 * One operator set a model imports: ONNX {@code OperatorSetIdProto}.
 *
 * <pre>
 * OperatorSetIdProto       field  wire type
 *   domain                   1    string   ("" or "ai.onnx" = the default ONNX domain)
 *   version                  2    int64
 * </pre>
 *
 * @param domain  the operator domain; {@code null} is stored as {@code ""}
 * @param version the opset version, e.g. 13
 */
public record OpsetId(String domain, long version) {

    /**
     * Replaces a {@code null} domain by {@code ""}.
     *
     * @param domain  the operator domain; {@code null} is stored as {@code ""}
     * @param version the opset version, e.g. 13
     */
    public OpsetId {
        domain = domain == null ? "" : domain;
    }

    /**
     * @param version the opset version of the default ONNX domain
     * @return an import of the default ONNX domain ({@code ""}) at {@code version}
     */
    public static OpsetId onnx(long version) {
        return new OpsetId("", version);
    }

    /** @return whether this is the default ONNX operator domain ({@code ""} or {@code "ai.onnx"}) */
    public boolean isDefaultDomain() {
        return domain.isEmpty() || domain.equals("ai.onnx");
    }
}
