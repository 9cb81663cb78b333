package dev.thinet4j.onnx;

import dev.thinet4j.onnx.proto.OnnxNode;

/**
 * Converts one ONNX node: reads its input {@link Value}s from the {@link ImportContext} and either
 * emits network nodes or records folded values for its outputs.
 */
@FunctionalInterface
interface OpMapper {
    /**
     * @param ctx the import in progress
     * @param n   the node, all of whose inputs are available
     */
    void map(ImportContext ctx, OnnxNode n);
}
