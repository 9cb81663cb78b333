/**
 * Network slimming (Liu et al., ICCV 2017) and residual-block removal on trained networks with real
 * BatchNormalization nodes.
 *
 * <p>{@link dev.thinet4j.slimming.NetworkSlimming} picks channels by one global threshold on the BN
 * scales |γ| (coupled channels share one mask, see {@link dev.thinet4j.slimming.SlimmingConfig}),
 * pushes the constant that a removed channel still emits, act(β), into the layers that read it
 * ({@link dev.thinet4j.slimming.Absorption}) and cuts the channels for real with
 * {@link dev.thinet4j.surgery.Thinning}. {@link dev.thinet4j.slimming.BlockRemoval} replaces the
 * weakest identity-shortcut residual blocks by their shortcut.
 *
 * <p>The <em>masked network</em> is the reference the compact network is compared with: the same
 * network with γ = 0, for every removed channel, in every BatchNormalization the channel passes
 * through (β, running mean and variance unchanged), so each removed channel outputs the constant
 * act(β) ({@link dev.thinet4j.slimming.NetworkSlimming#mask}). With absorption the compact network
 * equals the masked one wherever no zero padding enters a window that reads a removed constant
 * channel; {@link dev.thinet4j.slimming.Absorption#exact()} says per consumer whether that holds
 * everywhere.
 */
package dev.thinet4j.slimming;
