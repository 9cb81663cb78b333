package dev.thinet4j.onnx.proto;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A whole ONNX model file: ONNX {@code ModelProto}, the top-level message of a {@code .onnx}
 * file.
 *
 * <pre>
 * ModelProto               field  wire type
 *   ir_version               1    int64     (required by {@link OnnxProtoReader}: &gt;= 1)
 *   producer_name            2    string    (e.g. "pytorch")
 *   producer_version         3    string
 *   domain                   4    string
 *   model_version            5    int64
 *   doc_string               6    string
 *   graph                    7    GraphProto (required)
 *   opset_import             8    repeated OperatorSetIdProto
 *   metadata_props          14    repeated StringStringEntryProto
 *   (training_info 20, functions 25 and any other field are skipped)
 * </pre>
 *
 * <p>Read with {@link OnnxProtoReader}, write with {@link OnnxProtoWriter}.
 *
 * @param irVersion       ONNX IR version (7 for opset 12-14, 8 for opset 15-18 ...)
 * @param opsetImports    imported operator sets (immutable copy)
 * @param producerName    producer, {@code ""} if unset
 * @param producerVersion producer version, {@code ""} if unset
 * @param domain          model namespace, {@code ""} if unset
 * @param modelVersion    model version, 0 if unset
 * @param docString       documentation, {@code ""} if unset
 * @param graph           the main graph, never {@code null}
 * @param metadataProps   free-form metadata (immutable copy)
 */
public record OnnxModel(long irVersion, List<OpsetId> opsetImports, String producerName,
                        String producerVersion, String domain, long modelVersion, String docString,
                        OnnxGraph graph, List<StringEntry> metadataProps) {

    /**
     * Normalises {@code null}s to empty values, copies the lists, and rejects a null graph.
     *
     * @param irVersion       ONNX IR version (7 for opset 12-14, 8 for opset 15-18 ...)
     * @param opsetImports    imported operator sets (immutable copy)
     * @param producerName    producer, {@code ""} if unset
     * @param producerVersion producer version, {@code ""} if unset
     * @param domain          model namespace, {@code ""} if unset
     * @param modelVersion    model version, 0 if unset
     * @param docString       documentation, {@code ""} if unset
     * @param graph           the main graph, never {@code null}
     * @param metadataProps   free-form metadata (immutable copy)
     */
    public OnnxModel {
        Objects.requireNonNull(graph, "graph");
        opsetImports = opsetImports == null ? List.of() : List.copyOf(opsetImports);
        producerName = producerName == null ? "" : producerName;
        producerVersion = producerVersion == null ? "" : producerVersion;
        domain = domain == null ? "" : domain;
        docString = docString == null ? "" : docString;
        metadataProps = metadataProps == null ? List.of() : List.copyOf(metadataProps);
    }

    /**
     * A model importing only the default ONNX domain, with no producer or metadata.
     *
     * @param irVersion ONNX IR version
     * @param opset     default-domain opset version
     * @param graph     the graph
     * @return the model
     */
    public static OnnxModel of(long irVersion, long opset, OnnxGraph graph) {
        return new OnnxModel(irVersion, List.of(OpsetId.onnx(opset)), "", "", "", 0, "", graph, List.of());
    }

    /**
     * @param opsetDomain an operator domain; {@code ""} and {@code "ai.onnx"} both name the default one
     * @return the imported version of that domain, if imported
     */
    public OptionalLong opsetVersion(String opsetDomain) {
        boolean wantDefault = opsetDomain == null || opsetDomain.isEmpty() || opsetDomain.equals("ai.onnx");
        for (OpsetId o : opsetImports) {
            if (wantDefault ? o.isDefaultDomain() : o.domain().equals(opsetDomain)) {
                return OptionalLong.of(o.version());
            }
        }
        return OptionalLong.empty();
    }

    /**
     * @param newGraph replacement graph
     * @return a copy of this model with another graph
     */
    public OnnxModel withGraph(OnnxGraph newGraph) {
        return new OnnxModel(irVersion, opsetImports, producerName, producerVersion, domain,
                modelVersion, docString, newGraph, metadataProps);
    }
}
