package dev.thinet4j.onnx.proto;

/**
 * A key/value string pair: ONNX {@code StringStringEntryProto}.
 *
 * <p>Used for {@code ModelProto.metadata_props} and {@code TensorProto.external_data}.
 *
 * <pre>
 * StringStringEntryProto   field  wire type
 *   key                      1    string
 *   value                    2    string
 * </pre>
 *
 * @param key   the key; {@code null} is stored as {@code ""}
 * @param value the value; {@code null} is stored as {@code ""}
 */
public record StringEntry(String key, String value) {

    /**
     * Replaces {@code null} strings by {@code ""}.
     *
     * @param key   the key; {@code null} is stored as {@code ""}
     * @param value the value; {@code null} is stored as {@code ""}
     */
    public StringEntry {
        key = key == null ? "" : key;
        value = value == null ? "" : value;
    }
}
