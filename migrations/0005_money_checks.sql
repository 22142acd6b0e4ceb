-- Money is guarded by the database too, not only by the tool and the flow: a payment is
-- positive and capped, is made by the invoice's own resident, and the payments on an invoice
-- never add up to more than the invoice. A CHECK cannot look at another table, so a trigger
-- does the cross-row part; it raises check_violation like a CHECK would.
ALTER TABLE payments
    ADD CONSTRAINT payments_amount_range CHECK (amount_cents > 0 AND amount_cents <= 10000000);

CREATE FUNCTION cc_payment_within_owed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inv record;
    already bigint;
BEGIN
    IF NEW.invoice_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT customer_id, amount_cents, status INTO inv FROM invoices WHERE id = NEW.invoice_id FOR UPDATE;
    IF NOT FOUND OR inv.customer_id <> NEW.customer_id THEN
        RAISE EXCEPTION 'payment for invoice % by customer % who does not owe it', NEW.invoice_id, NEW.customer_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF inv.status = 'void' THEN
        RAISE EXCEPTION 'payment for void invoice %', NEW.invoice_id USING ERRCODE = 'check_violation';
    END IF;
    SELECT COALESCE(sum(amount_cents), 0) INTO already FROM payments WHERE invoice_id = NEW.invoice_id;
    IF already + NEW.amount_cents > inv.amount_cents THEN
        RAISE EXCEPTION 'payment of % cents exceeds what is owed on invoice %', NEW.amount_cents, NEW.invoice_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payments_within_owed BEFORE INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION cc_payment_within_owed();
