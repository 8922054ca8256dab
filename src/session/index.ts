/**
 * Native Session Manager client (ssm-protocol.md): exec shells and port forwarding without
 * session-manager-plugin. Layers: frame → channel (→ handshake) → smux → shell / port.
 */
export {
  openChannel,
  sendBytes,
  Rto,
  type ChannelEnd,
  type ChannelEvent,
  type ChannelOptions,
  type DataChannel,
  type MessageChannel,
  type SessionTarget,
  type WebSocketFactory,
} from './channel.js'
export { CLIENT_VERSION, type TerminalSize } from './frame.js'
export {
  type HandshakeResult,
  type KmsDataKey,
  type KmsDataKeyGenerator,
  type KmsDataKeyRequest,
} from './handshake.js'
export {
  ExitMarkerFilter,
  newExitMarker,
  openShellSession,
  shellQuote,
  wrapCommand,
  type ShellExit,
  type ShellSession,
  type ShellSessionOptions,
  type WrappedCommand,
} from './shell.js'
export {
  createPortForwarder,
  openPortSession,
  type PortForwarder,
  type PortForwarderEvent,
  type PortForwarderOptions,
  type PortSession,
  type PortSessionOptions,
} from './port.js'
