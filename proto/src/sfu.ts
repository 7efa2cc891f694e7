/**
 * The SFU control API (sfu.proto) loaded at run time with @grpc/proto-loader, plus the TypeScript
 * types generated from the same file (`npm run build -w proto`). Services import from here only.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/sfu.ts';

export type * from './generated/index.ts';
export type { ProtoGrpcType } from './generated/sfu.ts';
export { MediaKind } from './generated/lab/sfu/v1/MediaKind.ts';
export { TransportDirection } from './generated/lab/sfu/v1/TransportDirection.ts';

export const SFU_PROTO_PATH = fileURLToPath(new URL('../sfu.proto', import.meta.url));

/** Loader options; they must match the flags of `proto-loader-gen-types` in package.json. */
export const SFU_PROTO_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType | undefined;

/** The `lab.sfu.v1` package: `.Sfu` is both the client constructor and `.service` definition. */
export function loadSfuProto(): ProtoGrpcType['lab']['sfu']['v1'] {
  if (!cached) {
    const definition = protoLoader.loadSync(SFU_PROTO_PATH, SFU_PROTO_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached.lab.sfu.v1;
}
