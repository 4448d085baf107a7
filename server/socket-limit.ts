// MAX_SOCKETS_PER_IP: open Socket.IO and /ws connections per client address,
// counted together, so one address cannot hold the instance's sockets.
export function createSocketLimit(maxPerIp: number) {
  const open = new Map<string, number>()
  return {
    /** Counts a new connection from `ip`; false (and nothing counted) when it would exceed the limit. */
    tryOpen(ip: string): boolean {
      const count = open.get(ip) ?? 0
      if (maxPerIp > 0 && count >= maxPerIp) return false
      open.set(ip, count + 1)
      return true
    },
    close(ip: string): void {
      const left = (open.get(ip) ?? 1) - 1
      if (left > 0) open.set(ip, left)
      else open.delete(ip)
    },
    refusal: `Too many open connections from your address (at most ${maxPerIp}); close one and try again.`,
  }
}

export type SocketLimit = ReturnType<typeof createSocketLimit>
