-- The wiki tool reads the whole page around a hit, by the page's URL.
create index kb_documents_url on kb_documents (url);
