package dev.thinet4j.onnx.proto;

import java.util.List;
import java.util.Optional;

/**
 * One operator invocation in a graph: ONNX {@code NodeProto}.
 *
 * <pre>
 * NodeProto                field  wire type
 *   input                    1    repeated string  ("" = an omitted optional input; kept)
 *   output                   2    repeated string
 *   name                     3    string
 *   op_type                  4    string
 *   attribute                5    repeated AttributeProto
 *   doc_string               6    string
 *   domain                   7    string           ("" = the default ONNX domain)
 *   (overload 8, metadata_props 9 are skipped)
 * </pre>
 *
 * @param inputs     input value names, in order (immutable copy)
 * @param outputs    output value names, in order (immutable copy)
 * @param name       node name, {@code ""} if unset
 * @param opType     operator, e.g. {@code "Conv"}
 * @param domain     operator domain, {@code ""} for the default ONNX domain
 * @param attributes attributes, in file order (immutable copy)
 * @param docString  documentation, {@code ""} if unset
 */
public record OnnxNode(List<String> inputs, List<String> outputs, String name, String opType,
                       String domain, List<OnnxAttribute> attributes, String docString) {

    /**
     * Normalises {@code null}s to empty values and copies the lists.
     *
     * @param inputs     input value names, in order (immutable copy)
     * @param outputs    output value names, in order (immutable copy)
     * @param name       node name, {@code ""} if unset
     * @param opType     operator, e.g. {@code "Conv"}
     * @param domain     operator domain, {@code ""} for the default ONNX domain
     * @param attributes attributes, in file order (immutable copy)
     * @param docString  documentation, {@code ""} if unset
     */
    public OnnxNode {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        name = name == null ? "" : name;
        opType = opType == null ? "" : opType;
        domain = domain == null ? "" : domain;
        attributes = attributes == null ? List.of() : List.copyOf(attributes);
        docString = docString == null ? "" : docString;
    }

    /**
     * A default-domain node without documentation.
     *
     * @param opType     operator
     * @param name       node name
     * @param inputs     input names
     * @param outputs    output names
     * @param attributes attributes
     * @return the node
     */
    public static OnnxNode of(String opType, String name, List<String> inputs, List<String> outputs,
                              OnnxAttribute... attributes) {
        return new OnnxNode(inputs, outputs, name, opType, "", List.of(attributes), "");
    }

    /**
     * @param attributeName an attribute name
     * @return the first attribute with that name
     */
    public Optional<OnnxAttribute> attribute(String attributeName) {
        for (OnnxAttribute a : attributes) {
            if (a.name().equals(attributeName)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /**
     * @param newInputs replacement inputs
     * @return a copy of this node with other inputs
     */
    public OnnxNode withInputs(List<String> newInputs) {
        return new OnnxNode(newInputs, outputs, name, opType, domain, attributes, docString);
    }

    /**
     * @param newOutputs replacement outputs
     * @return a copy of this node with other outputs
     */
    public OnnxNode withOutputs(List<String> newOutputs) {
        return new OnnxNode(inputs, newOutputs, name, opType, domain, attributes, docString);
    }

    /**
     * @param newAttributes replacement attributes
     * @return a copy of this node with other attributes
     */
    public OnnxNode withAttributes(List<OnnxAttribute> newAttributes) {
        return new OnnxNode(inputs, outputs, name, opType, domain, newAttributes, docString);
    }
}
