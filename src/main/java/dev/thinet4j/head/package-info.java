/**
 * Classifier-head surgery: {@link dev.thinet4j.head.HeadReplacement} replaces a VGG-style fully
 * connected head (Flatten → Linear → ReLU/Dropout → … → Linear) by global average pooling and one
 * linear layer (ThiNet-GAP), initialised by least squares to the original network's logits.
 */
package dev.thinet4j.head;
