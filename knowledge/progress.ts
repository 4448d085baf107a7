// Progress on a terminal as a redrawn bar; elsewhere (CI, pipes) a plain line
// every tenth of the way, so logs stay readable.
export interface Progress {
  update(done: number, total: number, label: string): void
  done(): void
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, phase = 'Ingesting'): Progress {
  const tty = Boolean(stream.isTTY)
  let lastStep = -1
  let drawn = false
  return {
    update(done, total, label) {
      if (tty) {
        const width = 24
        const filled = Math.round((done / Math.max(total, 1)) * width)
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
        const line = `${phase} ${bar} ${done}/${total} ${label}`
        stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`)
        drawn = true
        return
      }
      const step = Math.floor((done / Math.max(total, 1)) * 10)
      if (step !== lastStep || done === total) {
        lastStep = step
        stream.write(`${phase}: ${done}/${total} pages (${label})\n`)
      }
    },
    done() {
      if (tty && drawn) stream.write('\r\x1b[2K')
      drawn = false
      lastStep = -1
    },
  }
}
