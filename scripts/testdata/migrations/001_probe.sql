create table if not exists probe (id serial primary key, note text not null);
