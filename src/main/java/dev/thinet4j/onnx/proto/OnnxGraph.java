package dev.thinet4j.onnx.proto;

import java.util.List;
import java.util.Optional;

/**
 * A computation graph: ONNX {@code GraphProto}.
 *
 * <pre>
 * GraphProto               field  wire type
 *   node                     1    repeated NodeProto        (topologically sorted in valid models)
 *   name                     2    string
 *   initializer              5    repeated TensorProto      (weights and constants)
 *   doc_string              10    string
 *   input                   11    repeated ValueInfoProto
 *   output                  12    repeated ValueInfoProto
 *   value_info              13    repeated ValueInfoProto   (intermediate shapes, optional)
 *   (quantization_annotation 14, sparse_initializer 15, metadata_props 16 are skipped)
 * </pre>
 *
 * <p>Since IR version 4 initializers need not be listed among the inputs; when they are, they
 * act as defaults that a caller may override.
 *
 * @param name         graph name
 * @param nodes        nodes in file order (immutable copy)
 * @param initializers initializer tensors (immutable copy)
 * @param inputs       graph inputs (immutable copy)
 * @param outputs      graph outputs (immutable copy)
 * @param valueInfo    shapes of intermediate values (immutable copy)
 * @param docString    documentation, {@code ""} if unset
 */
public record OnnxGraph(String name, List<OnnxNode> nodes, List<OnnxTensor> initializers,
                        List<ValueInfo> inputs, List<ValueInfo> outputs, List<ValueInfo> valueInfo,
                        String docString) {

    /**
     * Normalises {@code null}s to empty values and copies the lists.
     *
     * @param name         graph name
     * @param nodes        nodes in file order (immutable copy)
     * @param initializers initializer tensors (immutable copy)
     * @param inputs       graph inputs (immutable copy)
     * @param outputs      graph outputs (immutable copy)
     * @param valueInfo    shapes of intermediate values (immutable copy)
     * @param docString    documentation, {@code ""} if unset
     */
    public OnnxGraph {
        name = name == null ? "" : name;
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        initializers = initializers == null ? List.of() : List.copyOf(initializers);
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        valueInfo = valueInfo == null ? List.of() : List.copyOf(valueInfo);
        docString = docString == null ? "" : docString;
    }

    /**
     * @param tensorName a name
     * @return the initializer with that name
     */
    public Optional<OnnxTensor> initializer(String tensorName) {
        for (OnnxTensor t : initializers) {
            if (t.name().equals(tensorName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * @param newNodes replacement nodes
     * @return a copy of this graph with other nodes
     */
    public OnnxGraph withNodes(List<OnnxNode> newNodes) {
        return new OnnxGraph(name, newNodes, initializers, inputs, outputs, valueInfo, docString);
    }

    /**
     * @param newInitializers replacement initializers
     * @return a copy of this graph with other initializers
     */
    public OnnxGraph withInitializers(List<OnnxTensor> newInitializers) {
        return new OnnxGraph(name, nodes, newInitializers, inputs, outputs, valueInfo, docString);
    }

    /**
     * @param newInputs replacement inputs
     * @return a copy of this graph with other inputs
     */
    public OnnxGraph withInputs(List<ValueInfo> newInputs) {
        return new OnnxGraph(name, nodes, initializers, newInputs, outputs, valueInfo, docString);
    }

    /**
     * @param newOutputs replacement outputs
     * @return a copy of this graph with other outputs
     */
    public OnnxGraph withOutputs(List<ValueInfo> newOutputs) {
        return new OnnxGraph(name, nodes, initializers, inputs, newOutputs, valueInfo, docString);
    }

    /**
     * @param newValueInfo replacement value infos
     * @return a copy of this graph with other value infos
     */
    public OnnxGraph withValueInfo(List<ValueInfo> newValueInfo) {
        return new OnnxGraph(name, nodes, initializers, inputs, outputs, newValueInfo, docString);
    }
}
