// Jelly's chat page: a client of the public API like any other. History comes
// from POST /history, answers stream over Socket.IO. Answers are rendered from
// text into DOM nodes (never innerHTML), so only http(s) links become markup.
'use strict'
;(() => {
  const TOKEN_KEY = 'jelly.user_token'
  const APPLICATION = 'web'

  const conversation = document.getElementById('conversation')
  const notice = document.getElementById('notice')
  const form = document.getElementById('composer')
  const input = document.getElementById('message')
  const send = document.getElementById('send')
  const connection = document.getElementById('connection')
  const newChat = document.getElementById('new-chat')

  let userToken = loadToken()
  let socket = null
  let turn = null // the turn under way: { entry, text, frame, waiting, message, human }
  let historyLoaded = false

  // ---- the user token, kept across reloads ------------------------------------

  function loadToken() {
    try {
      const kept = localStorage.getItem(TOKEN_KEY)
      if (kept) return kept
    } catch {
      // Storage can be disabled; the conversation then lasts as long as the tab.
    }
    return freshToken()
  }

  function freshToken() {
    const bytes = crypto.getRandomValues(new Uint8Array(16))
    const token = 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
    try {
      localStorage.setItem(TOKEN_KEY, token)
    } catch {
      // See loadToken.
    }
    return token
  }

  // ---- rendering ---------------------------------------------------------------

  function clearConversation() {
    conversation.replaceChildren()
  }

  function addEntry(kind, text) {
    const entry = document.createElement('div')
    entry.className = 'entry ' + kind
    const who = document.createElement('span')
    who.className = kind === 'human' || kind === 'jelly' ? 'who' : 'visually-hidden'
    who.textContent = { human: 'You', jelly: 'Jelly', tool: 'Jelly is working:', error: 'Problem:' }[kind]
    const body = document.createElement('div')
    body.className = 'body'
    entry.append(who, body)
    setText(entry, kind, text)
    conversation.append(entry)
    scrollToEnd()
    return entry
  }

  function setText(entry, kind, text) {
    const body = entry.querySelector('.body')
    if (kind === 'jelly') body.replaceChildren(...renderMarkdown(text))
    else body.textContent = text
  }

  function scrollToEnd() {
    conversation.scrollTop = conversation.scrollHeight
  }

  // A small, safe subset of markdown: paragraphs, "- " lists, headings (as bold), **bold**, `code`,
  // [text](http...) and bare http(s) URLs. Everything else stays text.
  function renderMarkdown(text) {
    const nodes = []
    for (const block of text.split(/\n{2,}/)) {
      const lines = block.split('\n')
      let list = null
      let paragraph = null
      for (const line of lines) {
        const item = /^\s*[-*]\s+(.*)$/.exec(line)
        if (item) {
          paragraph = null
          if (!list) nodes.push((list = document.createElement('ul')))
          const li = document.createElement('li')
          li.append(...renderInline(item[1]))
          list.append(li)
          continue
        }
        list = null
        const heading = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line)
        if (heading) {
          paragraph = null
          const strong = document.createElement('strong')
          strong.append(...renderInline(heading[1]))
          const p = document.createElement('p')
          p.append(strong)
          nodes.push(p)
          continue
        }
        if (paragraph) paragraph.append(document.createElement('br'))
        else nodes.push((paragraph = document.createElement('p')))
        paragraph.append(...renderInline(line))
      }
    }
    return nodes
  }

  const INLINE = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])|\*\*([^*\n]+)\*\*|`([^`\n]+)`/g

  function renderInline(text) {
    const nodes = []
    let last = 0
    for (const match of text.matchAll(INLINE)) {
      if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)))
      const [whole, label, linkUrl, bareUrl, bold, code] = match
      if (linkUrl || bareUrl) nodes.push(link(label ?? bareUrl, linkUrl ?? bareUrl) ?? document.createTextNode(whole))
      else if (bold) nodes.push(element('strong', bold))
      else nodes.push(element('code', code))
      last = match.index + whole.length
    }
    if (last < text.length) nodes.push(document.createTextNode(text.slice(last)))
    return nodes
  }

  function link(label, href) {
    let url
    try {
      url = new URL(href)
    } catch {
      return null
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    const a = element('a', label)
    a.href = url.href
    a.target = '_blank'
    a.rel = 'noopener noreferrer'
    return a
  }

  function element(tag, text) {
    const node = document.createElement(tag)
    node.textContent = text
    return node
  }

  // ---- notices -----------------------------------------------------------------

  function showNotice(message, action) {
    notice.replaceChildren(element('span', message))
    if (action) {
      const button = element('button', action.label)
      button.type = 'button'
      button.addEventListener('click', action.run)
      notice.append(button)
    }
    notice.hidden = false
  }

  function hideNotice() {
    notice.hidden = true
    notice.replaceChildren()
  }

  function setConnection(state, label) {
    connection.dataset.state = state
    connection.textContent = label
  }

  // ---- history -----------------------------------------------------------------

  async function loadHistory() {
    let response
    try {
      response = await fetch('/history', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_token: userToken }),
      })
    } catch {
      showNotice("Jelly can't be reached right now. Is the server running?", { label: 'Try again', run: loadHistory })
      return
    }
    if (!response.ok) {
      showNotice(await refusal(response, 'Jelly could not load your conversation.'), { label: 'Try again', run: loadHistory })
      return
    }
    const entries = await response.json()
    historyLoaded = true
    clearConversation()
    for (const entry of entries) addEntry(entry.message_type, entry.content)
    if (!entries.length) {
      const hello = element('p', 'Say hi to Jelly 🪼')
      hello.className = 'placeholder'
      conversation.append(hello)
    }
    hideNotice()
    updateSend()
  }

  // The server's own words, plus the wait it asks for (429 rate limit, 503 overload).
  async function refusal(response, fallback) {
    let message = fallback
    try {
      const body = await response.json()
      if (body && typeof body.error === 'string') message = body.error
    } catch {
      // Not JSON: keep the fallback.
    }
    const wait = Number(response.headers.get('retry-after'))
    if (response.status === 429) message = 'Jelly needs a short break: ' + message
    if (Number.isFinite(wait) && wait > 0) message += ' (try again in ' + wait + ' s)'
    return message
  }

  // ---- the socket ------------------------------------------------------------

  function connect() {
    if (typeof io !== 'function') {
      setConnection('offline', 'offline')
      showNotice("Jelly can't be reached right now. Is the server running?", { label: 'Reload', run: () => location.reload() })
      return
    }
    socket = io({ reconnectionDelayMax: 5000 })
    socket.on('connect', () => {
      setConnection('online', 'online')
      hideNotice()
      // Back after a restart or an outage: the stored conversation is the truth.
      if (!historyLoaded || turn) {
        turn = null
        void loadHistory()
      }
      updateSend()
    })
    socket.on('disconnect', (reason) => {
      setConnection('offline', 'offline')
      if (reason === 'io client disconnect') return
      // A server shutting down disconnects its sockets itself, and Socket.IO does not
      // retry those on its own; the restarted server should find the page again.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 500)
      const during = turn ? ' while Jelly was answering; your message is saved and the answer will show once Jelly is back' : ''
      showNotice('Lost the connection to Jelly' + during + '. Reconnecting…')
      updateSend()
    })
    socket.on('connect_error', (error) => {
      setConnection('offline', 'offline')
      const words = error && error.data && typeof error.data.error === 'string' ? error.data.error : null
      showNotice(words ? 'Jelly refused the connection: ' + words + ' Retrying shortly…' : "Jelly can't be reached right now. Retrying…")
      // A refusal by the server (e.g. too many connections) is not retried by Socket.IO itself.
      if (!socket.active) setTimeout(() => socket.connect(), 5000)
      updateSend()
    })
    socket.on('tool_start', ({ tool_name }) => {
      if (!turn) return
      dropThinking()
      addEntry('tool', tool_name)
    })
    socket.on('final_answer_token', ({ token }) => {
      if (!turn) return
      dropThinking()
      if (!turn.entry) {
        turn.entry = addEntry('jelly', '')
        turn.entry.setAttribute('aria-busy', 'true')
      }
      turn.text += token
      // One render per frame however fast tokens come; the last frame shows them all.
      if (!turn.frame) {
        const current = turn
        current.frame = requestAnimationFrame(() => {
          current.frame = 0
          setText(current.entry, 'jelly', current.text)
          scrollToEnd()
        })
      }
    })
    socket.on('final_message', ({ message }) => {
      if (!turn) return
      dropThinking()
      if (turn.frame) cancelAnimationFrame(turn.frame)
      if (!turn.entry) turn.entry = addEntry('jelly', message)
      setText(turn.entry, 'jelly', message)
      turn.entry.setAttribute('aria-busy', 'false')
      endTurn()
    })
    socket.on('error', ({ error } = {}) => {
      dropThinking()
      if (turn && turn.frame) cancelAnimationFrame(turn.frame)
      if (turn && turn.entry) turn.entry.setAttribute('aria-busy', 'false')
      addEntry('error', typeof error === 'string' ? error : 'Jelly could not answer that.')
      // A refused message is marked as not sent and goes back into the box, to shorten or send again.
      if (turn && !turn.entry) {
        turn.human.classList.add('refused')
        turn.human.querySelector('.who').textContent = 'You (not sent)'
        if (!input.value) {
          input.value = turn.message
          resizeInput()
        }
      }
      endTurn()
    })
  }

  function dropThinking() {
    if (turn && turn.waiting) {
      turn.waiting.remove()
      turn.waiting = null
    }
  }

  function endTurn() {
    turn = null
    updateSend()
    input.focus()
  }

  // ---- sending -----------------------------------------------------------------

  function canSend() {
    return Boolean(socket && socket.connected && historyLoaded && !turn && input.value.trim())
  }

  function updateSend() {
    send.disabled = !canSend()
    send.textContent = turn ? 'Jelly is answering…' : 'Send'
  }

  function sendMessage() {
    if (!canSend()) return
    const message = input.value
    conversation.querySelector('.placeholder')?.remove()
    const human = addEntry('human', message)
    const waiting = element('p', 'Jelly is thinking…')
    waiting.className = 'thinking'
    conversation.append(waiting)
    scrollToEnd()
    turn = { entry: null, text: '', frame: 0, waiting, message, human }
    socket.emit('user_message', { user_token: userToken, message, application: APPLICATION })
    input.value = ''
    resizeInput()
    updateSend()
  }

  function resizeInput() {
    input.style.height = 'auto'
    input.style.height = input.scrollHeight + 2 + 'px'
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    sendMessage()
  })
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      sendMessage()
    }
  })
  input.addEventListener('input', () => {
    resizeInput()
    updateSend()
  })
  newChat.addEventListener('click', () => {
    if (turn) return
    userToken = freshToken()
    historyLoaded = false
    void loadHistory()
    input.focus()
  })

  void loadHistory()
  connect()
  input.focus()
})()
