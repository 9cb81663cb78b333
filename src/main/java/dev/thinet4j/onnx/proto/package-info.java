/**
 * A small, hand-written codec for the ONNX model format ({@code .onnx} files, protobuf
 * {@code ModelProto}), built directly on protobuf-java's {@code CodedInputStream} and
 * {@code CodedOutputStream}: no {@code protoc}, no generated classes, no {@code .proto} file.
 *
 * <h2>What it covers</h2>
 * Immutable records mirror the part of ONNX that a CNN pruner needs:
 * <pre>
 * ModelProto               -&gt; {@link dev.thinet4j.onnx.proto.OnnxModel}
 *   OperatorSetIdProto     -&gt; {@link dev.thinet4j.onnx.proto.OpsetId}
 *   StringStringEntryProto -&gt; {@link dev.thinet4j.onnx.proto.StringEntry}
 *   GraphProto             -&gt; {@link dev.thinet4j.onnx.proto.OnnxGraph}
 *     NodeProto            -&gt; {@link dev.thinet4j.onnx.proto.OnnxNode}
 *       AttributeProto     -&gt; {@link dev.thinet4j.onnx.proto.OnnxAttribute}
 *     TensorProto          -&gt; {@link dev.thinet4j.onnx.proto.OnnxTensor}
 *     ValueInfoProto       -&gt; {@link dev.thinet4j.onnx.proto.ValueInfo} (tensor types only)
 *       TensorShapeProto.Dimension -&gt; {@link dev.thinet4j.onnx.proto.ValueInfo.Dim}
 * </pre>
 * Each type's documentation lists the ONNX field numbers it reads and writes. Every other
 * field is skipped when reading (training info, functions, sparse initializers, quantization
 * annotations, non-tensor types, ...), so any model exported by {@code torch.onnx.export} at
 * opsets 11-17 can be read; those fields are not written back.
 *
 * <h2>Entry points</h2>
 * <ul>
 *   <li>{@link dev.thinet4j.onnx.proto.OnnxProtoReader#read(java.nio.file.Path)} (also from a
 *       byte array or a stream);</li>
 *   <li>{@link dev.thinet4j.onnx.proto.OnnxProtoWriter#write(OnnxModel, java.nio.file.Path)}
 *       (atomic replace; also to a byte array or a stream).</li>
 * </ul>
 * Malformed input gives an {@link dev.thinet4j.onnx.proto.OnnxFormatException}; I/O failures
 * an {@link java.io.UncheckedIOException}.
 *
 * <h2>Wire-format notes</h2>
 * <ul>
 *   <li>{@code onnx.proto} is a proto2 file: {@code TensorProto.dims} and
 *       {@code AttributeProto.ints}/{@code floats} are not packed, while
 *       {@code float_data}, {@code int32_data}, {@code int64_data} and {@code double_data} are
 *       declared {@code [packed = true]}. The writer follows that; the reader accepts both forms
 *       for every repeated number.</li>
 *   <li>{@code raw_data} is little-endian with a fixed width per element (booleans and 8-bit
 *       types one byte, FLOAT16 two bytes).</li>
 *   <li>A protobuf message, and therefore a model without external data, is at most 2 GB.</li>
 * </ul>
 */
package dev.thinet4j.onnx.proto;
