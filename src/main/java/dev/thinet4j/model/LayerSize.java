package dev.thinet4j.model;

/** Size of one node: channels in/out, learnable parameters and MACs for one input. */
public record LayerSize(String name, String opType, int inChannels, int outChannels, long params, long macs) {
}
