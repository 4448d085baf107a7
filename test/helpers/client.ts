// Small clients for the three transports, collecting the events of one turn.
import { io, type Socket } from 'socket.io-client'
import WebSocket from 'ws'

export interface TurnEvents {
  events: { type: string; [key: string]: unknown }[]
  final: string
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, body: await response.json() }
}

export async function connectSocketIo(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  return socket
}

/** Sends one message over Socket.IO and resolves with every event until final_message or error. */
export function socketIoTurn(socket: Socket, payload: unknown): Promise<TurnEvents> {
  return new Promise((resolve) => {
    const events: TurnEvents['events'] = []
    const names = ['tool_start', 'final_answer_token', 'final_message', 'error']
    const listeners = names.map((name) => {
      const listener = (data: Record<string, unknown>) => {
        events.push({ type: name, ...data })
        if (name === 'final_message' || name === 'error') {
          names.forEach((n, i) => socket.off(n, listeners[i]))
          resolve({ events, final: String(data.message ?? '') })
        }
      }
      socket.on(name, listener)
      return listener
    })
    socket.emit('user_message', payload)
  })
}

export async function connectWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws')
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return ws
}

/** Sends one frame over /ws and resolves with every frame until final_message or error. */
export function wsTurn(ws: WebSocket, frame: unknown): Promise<TurnEvents> {
  return new Promise((resolve) => {
    const events: TurnEvents['events'] = []
    const onMessage = (data: WebSocket.RawData) => {
      const event = JSON.parse(data.toString())
      events.push(event)
      if (event.type === 'final_message' || event.type === 'error') {
        ws.off('message', onMessage)
        resolve({ events, final: String(event.message ?? '') })
      }
    }
    ws.on('message', onMessage)
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  })
}
