/**
 * Reference CNN architectures built with the {@link dev.thinet4j.model.NetworkBuilder} API and
 * filled with seeded random weights: VGG ({@link dev.thinet4j.zoo.Vgg}) and ResNet
 * ({@link dev.thinet4j.zoo.ResNet}), at their ImageNet sizes and as small 28×28 variants for
 * fast tests.
 *
 * <p>The architecture is described by a configuration record ({@link dev.thinet4j.zoo.VggConfig},
 * {@link dev.thinet4j.zoo.ResNetConfig}); how the weights are drawn by
 * {@link dev.thinet4j.zoo.ZooOptions}. Weights of each layer come from a random stream determined
 * only by the seed and the node's name, so the same seed always gives the same weights and
 * adding or removing one layer does not change the weights of the others.
 *
 * <p>The networks end in class logits (no softmax) and hold no training-only state: dropout is an
 * {@link dev.thinet4j.model.Op.Identity} node and batch normalisation runs on its stored statistics.
 */
package dev.thinet4j.zoo;
