-- Every message's sender is in the directory: the send and offer routes
-- remember the caller (from their token) in the transaction that inserts the
-- message, and directory rows are never deleted. The key makes that a rule, so
-- `chat.unread_reminder` can always name the sender (`senderUsername` is never
-- null). Rows written before this migration were written under the same rule.
alter table messages
  add constraint messages_sender_in_directory foreign key (sender_id) references users (user_id);
