/**
 * Compression codecs for kafkajs, which ships only gzip: snappy from kafkajs-snappy, and LZ4 and
 * ZSTD wrapping the libraries the broker uses (the kafkajs-lz4 and @kafkajs/zstd packages need
 * native builds that no longer compile on Node 20). librdkafka's own codecs cover the other
 * direction in the node-rdkafka and kcat suites.
 */
import { createRequire } from 'node:module';
import { compress, CompressionType, decompress } from '../../protocol/records/compression.js';

type Codec = () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };

interface KafkaJsCodecs {
  CompressionTypes: { Snappy: number; LZ4: number; ZSTD: number };
  CompressionCodecs: Record<number, unknown>;
}

const ownCodec =
  (type: number): Codec =>
  () => ({
    compress: async (encoder) => compress(type, encoder.buffer),
    decompress: async (buffer) => decompress(type, buffer),
  });

/** Registers snappy, LZ4 and ZSTD with a loaded kafkajs module. */
export function registerKafkaJsCodecs(kafkajs: KafkaJsCodecs): void {
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = createRequire(import.meta.url)('kafkajs-snappy') as unknown;
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4] = ownCodec(CompressionType.Lz4);
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] = ownCodec(CompressionType.Zstd);
}
