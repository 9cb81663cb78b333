package dev.thinet4j.onnx;

import java.util.List;
import java.util.SortedMap;
import java.util.stream.Collectors;

/**
 * What can be said about an ONNX model without importing it ({@link OnnxImporter#inspect}): its
 * opset, op types with counts, graph inputs and outputs, and the op types thinet4j does not
 * support.
 *
 * @param source      the file or source name
 * @param irVersion   the ONNX IR version
 * @param opset       the default-domain opset, -1 when none is imported
 * @param producer    producer name and version (e.g. {@code "pytorch 1.13.1"}), may be empty
 * @param opCounts    op type → number of nodes, sorted; types of other domains as {@code domain:type}
 * @param inputs      graph inputs that are not initializers
 * @param outputs     graph outputs
 * @param unsupported the op types the importer does not map, in order of first appearance
 */
public record ModelSummary(String source, long irVersion, long opset, String producer,
                           SortedMap<String, Integer> opCounts, List<TensorInfo> inputs, List<TensorInfo> outputs,
                           List<UnsupportedOp> unsupported) {

    public ModelSummary {
        opCounts = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(opCounts));
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        unsupported = List.copyOf(unsupported);
    }

    /**
     * A graph input or output.
     *
     * @param name  the tensor name
     * @param type  the element type (e.g. {@code FLOAT}), {@code "?"} when unknown
     * @param shape the shape as written, e.g. {@code [N, 3, 224, 224]}, {@code "?"} when unknown
     */
    public record TensorInfo(String name, String type, String shape) {
    }

    /**
     * One unsupported op type.
     *
     * @param opType    the operator type
     * @param domain    its domain, empty for the default ONNX domain
     * @param count     how many nodes use it
     * @param firstNode the name of the first such node ({@code <OpType>_<index>} when unnamed)
     */
    public record UnsupportedOp(String opType, String domain, int count, String firstNode) {
        /** E.g. {@code Tanh ×3 (first: node 'weird_node')}. */
        public String describe() {
            String type = domain.isEmpty() || domain.equals("ai.onnx") ? opType : opType + " (domain '" + domain + "')";
            return type + " ×" + count + " (first: node '" + firstNode + "')";
        }
    }

    /** Whether every op type is supported (the import may still refuse other things). */
    public boolean allOpsSupported() {
        return unsupported.isEmpty();
    }

    /** E.g. {@code "unsupported ONNX ops: Tanh ×3 (first: node 'a'), GridSample ×1 (first: node 'b')"}. */
    public String unsupportedText() {
        return "unsupported ONNX ops: " + unsupported.stream().map(UnsupportedOp::describe)
                .collect(Collectors.joining(", "));
    }
}
